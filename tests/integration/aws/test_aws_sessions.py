"""Role assumption lands in the target account only, through boto3's defaults or an Airflow connection."""

from __future__ import annotations

import json

import pytest
from aws_helpers import DEV, EXTERNAL_ID, REGION, STAGING, deploy_session
from botocore.credentials import RefreshableCredentials

from flightdeck.aws.session import assume_role, orchestrator_session

pytestmark = pytest.mark.integration


def test_assumed_sessions_act_in_their_own_account(local_aws: str) -> None:
    dev, staging = deploy_session(DEV), deploy_session(STAGING)
    assert dev.client("sts").get_caller_identity()["Account"] == DEV
    assert staging.client("sts").get_caller_identity()["Account"] == STAGING
    assert (dev.account_id, staging.account_id) == (DEV, STAGING)

    dev.client("ssm").put_parameter(Name="/flightdeck/only-dev", Value="1", Type="String")
    location = {"LocationConstraint": REGION}
    dev.client("s3").create_bucket(Bucket="only-dev", CreateBucketConfiguration=location)
    names = [p["Name"] for p in dev.client("ssm").describe_parameters()["Parameters"]]
    assert names == ["/flightdeck/only-dev"]
    assert staging.client("ssm").describe_parameters()["Parameters"] == []
    assert "only-dev" not in [b["Name"] for b in staging.client("s3").list_buckets()["Buckets"]]


def test_session_identity_names_role_and_session(local_aws: str) -> None:
    arn = deploy_session(DEV).client("sts").get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::{DEV}:assumed-role/flightdeck-deploy/flightdeck-tests"


def test_long_session_names_are_cut_to_64_characters(local_aws: str) -> None:
    session = assume_role(
        aws_conn_id=None,
        role_arn=f"arn:aws:iam::{DEV}:role/flightdeck-deploy",
        region=REGION,
        session_name="flightdeck@release__hello/" + "manual__2026-11-28T05:00:00+00:00" * 3,
        external_id=EXTERNAL_ID,
    )
    session_name = session.client("sts").get_caller_identity()["Arn"].rsplit("/", 1)[1]
    assert len(session_name) == 64
    assert session_name.startswith("flightdeck@release__hello-manual__2026-11-28T05-00-00+00-00")


def test_assumed_credentials_refresh_themselves(local_aws: str) -> None:
    session = deploy_session(DEV)
    credentials = session.boto_session.get_credentials()
    assert isinstance(credentials, RefreshableCredentials)
    assert credentials.method == "sts-assume-role"
    assert "testing" not in repr(session)


def test_sessions_use_the_region_asked_for(local_aws: str) -> None:
    session = deploy_session(DEV, "us-east-1")
    assert session.region == "us-east-1"
    assert session.client("ssm").meta.region_name == "us-east-1"


def test_orchestrator_session_uses_boto3_defaults(local_aws: str) -> None:
    session = orchestrator_session(None, REGION)
    assert session.account_id not in (DEV, STAGING)
    assert len(session.account_id) == 12


def test_airflow_connection_endpoints_are_used(local_aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no AWS_ENDPOINT_URL, only the connection's endpoint_url and service_config reach the emulator."""
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    extra = {"endpoint_url": local_aws, "service_config": {"sts": {"endpoint_url": local_aws}}}
    monkeypatch.setenv("AIRFLOW_CONN_FLIGHTDECK_TEST", json.dumps({"conn_type": "aws", "extra": extra}))
    session = assume_role(
        aws_conn_id="flightdeck_test",
        role_arn=f"arn:aws:iam::{STAGING}:role/flightdeck-deploy",
        region="us-east-1",
        session_name="via-connection",
        external_id=EXTERNAL_ID,
    )
    assert session.client("s3").meta.endpoint_url == local_aws
    assert session.client("sts").get_caller_identity()["Account"] == STAGING
    assert orchestrator_session("flightdeck_test", REGION).client("ssm").meta.endpoint_url == local_aws
