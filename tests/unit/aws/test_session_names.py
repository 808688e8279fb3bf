"""Session helpers that need no AWS: role ARNs, STS session names, and what a session shows of itself."""

from __future__ import annotations

import boto3
import pytest

from flightdeck.aws.session import RETRIES, AccountSession, account_of_role, clean_session_name
from flightdeck.errors import FlightdeckError


@pytest.mark.parametrize(
    ("arn", "account"),
    [
        ("arn:aws:iam::111111111111:role/flightdeck-deploy", "111111111111"),
        ("arn:aws-cn:iam::012345678901:role/path/to/role", "012345678901"),
    ],
)
def test_account_of_role(arn: str, account: str) -> None:
    assert account_of_role(arn) == account


@pytest.mark.parametrize(
    "arn",
    ["flightdeck-deploy", "arn:aws:iam::11111111111:role/x", "arn:aws:iam::111111111111:user/x", ""],
)
def test_not_a_role_arn(arn: str) -> None:
    with pytest.raises(FlightdeckError, match="Not an IAM role ARN"):
        account_of_role(arn)


def test_session_names_are_cleaned_and_cut_to_64() -> None:
    assert clean_session_name("flightdeck@release__hello/manual__2026-11-28T05:00:00+00:00") == (
        "flightdeck@release__hello-manual__2026-11-28T05-00-00+00-00"
    )
    assert clean_session_name("déploiement") == "d-ploiement"
    long_name = "x" * 100
    assert clean_session_name(long_name) == "x" * 64


def test_too_short_session_name() -> None:
    with pytest.raises(FlightdeckError, match="too short"):
        clean_session_name("/")


def test_session_shows_no_credentials() -> None:
    boto_session = boto3.session.Session(
        aws_access_key_id="AKIASECRETKEYID", aws_secret_access_key="very-secret", region_name="eu-west-1"
    )
    session = AccountSession(boto_session, region="eu-west-1", account_id="111111111111")
    assert repr(session) == "AccountSession(account_id=111111111111, region=eu-west-1)"
    assert "secret" not in repr(session).lower()
    assert session.config.retries == RETRIES == {"mode": "adaptive", "max_attempts": 10}
    session.client("sts")  # botocore rewrites the retries of the Config it is given…
    assert RETRIES == {"mode": "adaptive", "max_attempts": 10}  # …but never Flightdeck's defaults


def test_clients_are_cached_per_service() -> None:
    boto_session = boto3.session.Session(region_name="us-east-1")
    session = AccountSession(boto_session, region="us-east-1", account_id="111111111111")
    assert session.client("s3") is session.client("s3")
    assert session.client("s3") is not session.client("ssm")
    assert session.client("ssm").meta.region_name == "us-east-1"
