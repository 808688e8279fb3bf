"""A target's last verified release: recorded in its artifact bucket, and its parameters read again as they were."""

from __future__ import annotations

import json

import pytest
from aws_helpers import DEV, REGION, artifact_bucket, deploy_session

from flightdeck.aws.parameters import resolve_parameters_with_versions, resolve_pinned_parameters
from flightdeck.aws.releases import ReleaseRecord, read_release_record, record_key, write_release_record
from flightdeck.errors import FlightdeckError

pytestmark = pytest.mark.integration

SOURCES = [
    ("Greeting", "ssm", "/flightdeck/hello/greeting"),
    ("Token", "secretsmanager", "flightdeck/hello/api-token:token"),
    ("LogLevel", "literal", "INFO"),
    ("AppVersion", "release", "version"),
]


def test_a_rollback_reads_each_parameter_at_the_version_the_release_read(local_aws: str) -> None:
    session = deploy_session(DEV)
    ssm, secrets = session.client("ssm"), session.client("secretsmanager")
    ssm.put_parameter(Name="/flightdeck/hello/greeting", Value="Hello", Type="String")
    secrets.create_secret(Name="flightdeck/hello/api-token", SecretString=json.dumps({"token": "first"}))
    then = resolve_parameters_with_versions(session, SOURCES, release={"version": "1.0.0"})

    # Later releases change both.
    ssm.put_parameter(Name="/flightdeck/hello/greeting", Value="Howdy", Type="String", Overwrite=True)
    secrets.put_secret_value(SecretId="flightdeck/hello/api-token", SecretString=json.dumps({"token": "second"}))
    now = resolve_parameters_with_versions(session, SOURCES, release={"version": "2.0.0"})
    assert (now.values["Greeting"], now.values["Token"]) == ("Howdy", "second")

    pinned = resolve_pinned_parameters(session, SOURCES, versions=then.versions, release={"version": "1.0.0"})
    assert pinned == then.values == {"Greeting": "Hello", "Token": "first", "LogLevel": "INFO", "AppVersion": "1.0.0"}


def test_a_parameter_the_release_did_not_record_is_refused(local_aws: str) -> None:
    session = deploy_session(DEV)
    with pytest.raises(
        FlightdeckError, match=r"Parameter Greeting \(ssm:/flightdeck/hello/greeting\) was not recorded"
    ):
        resolve_pinned_parameters(session, SOURCES, versions={}, release={"version": "1.0.0"})


def test_the_record_lives_in_the_artifact_bucket(local_aws: str) -> None:
    session = deploy_session(DEV)
    bucket = artifact_bucket(DEV)
    session.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    assert read_release_record(session, bucket, "hello", "hello-dev") is None
    record = ReleaseRecord(
        application="hello",
        environment="dev",
        stack_name="hello-dev",
        version="1.0.0",
        run_id="manual__1",
        digest="abc",
        template_url=f"https://{bucket}.s3.amazonaws.com/hello/abc/template.yaml",
        parameter_versions={"Greeting": "ssm:/flightdeck/hello/greeting@1", "Token": "secretsmanager:x@v1"},
        recorded_at="2026-11-28T12:00:00+00:00",
    )
    assert write_release_record(session, bucket, record) == f"s3://{bucket}/hello/releases/hello-dev.json"
    assert read_release_record(session, bucket, "hello", "hello-dev") == record
    stored = session.client("s3").get_object(Bucket=bucket, Key=record_key("hello", "hello-dev"))["Body"].read()
    assert json.loads(stored)["version"] == "1.0.0"  # plain JSON: readable by people and other tools
