"""Configuration store names and errors that need no AWS: namespaces, keys, denied or failing writes."""

from __future__ import annotations

import re

import boto3
import pytest
from botocore.stub import Stubber

from flightdeck.aws.config_store import ConfigStore, check_key, parameter_path, secret_name
from flightdeck.aws.session import AccountSession
from flightdeck.errors import FlightdeckError


def test_namespaces() -> None:
    assert parameter_path("hello", "dev", "greeting") == "/flightdeck/hello/dev/greeting"
    assert secret_name("hello", "prod", "api-token") == "flightdeck/hello/prod/api-token"


@pytest.mark.parametrize("key", ["greeting", "api-token", "DB_PASSWORD", "v1.2", "0", "k" * 128])
def test_good_keys(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize("key", ["", "a/b", "-x", ".x", "x y", "x:y", "k" * 129])
def test_bad_keys(key: str) -> None:
    with pytest.raises(FlightdeckError, match=re.escape("use letters, digits, '.', '_' and '-'")):
        check_key(key)


def _store() -> tuple[ConfigStore, Stubber, Stubber]:
    session = AccountSession(boto3.session.Session(region_name="eu-west-1"), region="eu-west-1", account_id="1" * 12)
    store = ConfigStore(session, application="hello", environment="dev")
    return store, Stubber(session.client("ssm")), Stubber(session.client("secretsmanager"))


def test_a_denied_write_names_the_place_and_the_fix() -> None:
    store, ssm, secrets = _store()
    ssm.add_client_error("get_parameter", "ParameterNotFound")
    secrets.add_client_error("describe_secret", "ResourceNotFoundException")
    ssm.add_client_error("put_parameter", "AccessDeniedException", "not authorized to perform ssm:PutParameter")
    with ssm, secrets, pytest.raises(FlightdeckError) as caught:
        store.set_plain("greeting", "Hello")
    assert str(caught.value) == (
        "Cannot write SSM parameter /flightdeck/hello/dev/greeting in account 111111111111, region eu-west-1: "
        "AccessDeniedException: not authorized to perform ssm:PutParameter; the deploy role lacks this "
        "permission: re-run flightdeck bootstrap"
    )


def test_a_failed_secret_write_never_shows_the_value() -> None:
    store, ssm, secrets = _store()
    ssm.add_client_error("get_parameter", "ParameterNotFound")
    secrets.add_client_error("describe_secret", "ResourceNotFoundException")
    secrets.add_client_error("create_secret", "ValidationException", "Value 'hunter2-x' at 'secretString' failed")
    with ssm, secrets, pytest.raises(FlightdeckError) as caught:
        store.set_secret("api-token", "hunter2-x")
    assert "hunter2-x" not in str(caught.value)
    assert "Value '****' at 'secretString' failed" in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
