"""Stack parameters resolve in the target account: literals, SSM parameters (decrypted), release values."""

from __future__ import annotations

import pytest
from aws_helpers import DEV, REGION, STAGING, deploy_session

from flightdeck.aws.parameters import resolve_parameters
from flightdeck.errors import FlightdeckError

pytestmark = pytest.mark.integration

RELEASE = {"version": "1.2.0", "run_id": "manual__2026-11-28"}


def test_every_kind_resolves(local_aws: str) -> None:
    session = deploy_session(DEV)
    ssm = session.client("ssm")
    ssm.put_parameter(Name="/flightdeck/hello/greeting", Value="Hi", Type="String")
    ssm.put_parameter(Name="/flightdeck/hello/secret", Value="hush", Type="SecureString")
    sources = [
        ("Greeting", "ssm", "/flightdeck/hello/greeting"),
        ("Secret", "ssm", "/flightdeck/hello/secret"),
        ("LogLevel", "literal", "DEBUG"),
        ("AppVersion", "release", "version"),
        ("RunId", "release", "run_id"),
    ]
    assert resolve_parameters(session, sources, release=RELEASE) == {
        "Greeting": "Hi",
        "Secret": "hush",
        "LogLevel": "DEBUG",
        "AppVersion": "1.2.0",
        "RunId": "manual__2026-11-28",
    }


def test_ssm_parameters_are_read_in_the_target_account(local_aws: str) -> None:
    deploy_session(DEV).client("ssm").put_parameter(Name="/flightdeck/x", Value="dev", Type="String")
    with pytest.raises(FlightdeckError) as caught:
        resolve_parameters(deploy_session(STAGING), [("X", "ssm", "/flightdeck/x")], release=RELEASE)
    message = str(caught.value)
    assert "/flightdeck/x" in message
    assert STAGING in message
    assert REGION in message


def test_unknown_release_value(local_aws: str) -> None:
    with pytest.raises(FlightdeckError, match="unknown release value 'commit'"):
        resolve_parameters(deploy_session(DEV), [("X", "release", "commit")], release=RELEASE)


def test_unknown_kind(local_aws: str) -> None:
    with pytest.raises(FlightdeckError, match="unknown source kind 'env'"):
        resolve_parameters(deploy_session(DEV), [("X", "env", "HOME")], release=RELEASE)
