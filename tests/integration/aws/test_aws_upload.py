"""Uploads are content-addressed: a second upload of the same package writes nothing."""

from __future__ import annotations

import json

import pytest
from aws_helpers import DEV, HELLO, REGION, STAGING, deploy_session

from flightdeck.aws.packaging import package_template, upload_package
from flightdeck.aws.session import AccountSession
from flightdeck.errors import DeploymentError

pytestmark = pytest.mark.integration

BUCKET = f"flightdeck-artifacts-{DEV}-{REGION}"


@pytest.fixture
def session(local_aws: str) -> AccountSession:
    session = deploy_session(DEV)
    location = {"LocationConstraint": REGION}
    session.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration=location)
    return session


def test_second_upload_writes_nothing(session: AccountSession) -> None:
    package = package_template(HELLO, key_prefix="hello")
    first = upload_package(session, BUCKET, package)
    keys = [a.key for a in package.artifacts] + [package.template_key(BUCKET)]
    assert first.uploaded == tuple(keys)
    assert first.skipped == ()

    second = upload_package(session, BUCKET, package_template(HELLO, key_prefix="hello"))
    assert second.uploaded == ()
    assert second.skipped == tuple(keys)
    assert second.template_url == first.template_url


def test_objects_hold_the_package(session: AccountSession) -> None:
    package = package_template(HELLO, key_prefix="hello")
    result = upload_package(session, BUCKET, package)
    s3 = session.client("s3")
    (artifact,) = package.artifacts
    assert s3.get_object(Bucket=BUCKET, Key=artifact.key)["Body"].read() == artifact.data
    body = s3.get_object(Bucket=BUCKET, Key=package.template_key(BUCKET))["Body"].read().decode()
    assert body == package.template_body(BUCKET)
    code = json.loads(body)["Resources"]["Function"]["Properties"]["Code"]
    assert code == {"S3Bucket": BUCKET, "S3Key": artifact.key}
    assert result.template_url == f"https://{BUCKET}.s3.{REGION}.amazonaws.com/{package.template_key(BUCKET)}"


def test_cloudformation_reads_the_template_url(session: AccountSession) -> None:
    result = upload_package(session, BUCKET, package_template(HELLO, key_prefix="hello"))
    summary = session.client("cloudformation").get_template_summary(TemplateURL=result.template_url)
    assert {p["ParameterKey"] for p in summary["Parameters"]} == {
        "Greeting",
        "LogLevel",
        "AppVersion",
        "EnvironmentName",
    }


def test_missing_bucket_is_a_deployment_error(local_aws: str) -> None:
    with pytest.raises(DeploymentError) as caught:
        upload_package(deploy_session(STAGING), "no-such-bucket", package_template(HELLO, key_prefix="hello"))
    assert caught.value.account == STAGING
    assert caught.value.region == REGION
    assert "no-such-bucket" in str(caught.value)
