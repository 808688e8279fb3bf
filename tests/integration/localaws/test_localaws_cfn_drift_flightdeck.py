"""Drift detection on Flightdeck's own stacks: in sync right after deployment, and the permissions it needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError
from localaws_helpers import CONFIG, DEV, REGION, Emulator, attempt, deploy, describe, zip_bytes

ROOT = Path(__file__).resolve().parents[3]
ADMIN = "OrganizationAccountAccessRole"  # the tests' administrator: a role IAM does not know
EXTERNAL_ID = "external-id-4711"
TOKEN = "t0ken-value"
STACKS = f"arn:aws:cloudformation:*:{DEV}:stack/hello-*"
# What a role needs to detect drift and read the results (DescribeStackDriftDetectionStatus names no stack).
DRIFT_STATEMENTS = [
    {
        "Effect": "Allow",
        "Action": [
            "cloudformation:DetectStackDrift",
            "cloudformation:DetectStackResourceDrift",
            "cloudformation:DescribeStackResourceDrifts",
            "cloudformation:DescribeStacks",
        ],
        "Resource": STACKS,
    },
    {"Effect": "Allow", "Action": "cloudformation:DescribeStackDriftDetectionStatus", "Resource": "*"},
]


def _client(emulator: Emulator, service: str, role: str = ADMIN) -> Any:
    sts = boto3.client("sts", endpoint_url=emulator.endpoint_url, region_name=REGION, config=CONFIG)
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{DEV}:role/{role}", RoleSessionName="localaws-tests")
    session = boto3.Session(
        aws_access_key_id=credentials["Credentials"]["AccessKeyId"],
        aws_secret_access_key=credentials["Credentials"]["SecretAccessKey"],
        aws_session_token=credentials["Credentials"]["SessionToken"],
        region_name=REGION,
    )
    return session.client(service, endpoint_url=emulator.endpoint_url, config=CONFIG)


def _deploy_hello(emulator: Emulator) -> Any:
    """The hello app as Flightdeck releases it: code in S3, the token in Secrets Manager."""
    s3 = _client(emulator, "s3")
    s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="artifacts", Key="hello.zip", Body=zip_bytes({"handler.py": "def handler(e, c): return {}"}))
    secrets = _client(emulator, "secretsmanager")
    secrets.create_secret(Name="flightdeck/hello/api-token", SecretString=json.dumps({"token": TOKEN}))
    template = (ROOT / "include/apps/hello/template.yaml").read_text()
    packaged = template.replace("Code: src", "Code: {S3Bucket: artifacts, S3Key: hello.zip}")
    assert packaged != template
    cfn = _client(emulator, "cloudformation")
    parameters = {"Greeting": "Hello", "AppVersion": "1.0.0", "EnvironmentName": "dev"}
    assert deploy(cfn, "hello-dev", packaged, parameters=parameters) is None
    assert describe(cfn, "hello-dev")["StackStatus"] == "CREATE_COMPLETE"
    return cfn


def _detect(cfn: Any, stack: str) -> dict[str, Any]:
    detection_id = cfn.detect_stack_drift(StackName=stack)["StackDriftDetectionId"]
    return dict(cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection_id))


def _drifts(cfn: Any, stack: str) -> dict[str, dict[str, Any]]:
    drifts = cfn.describe_stack_resource_drifts(StackName=stack)["StackResourceDrifts"]
    return {drift["LogicalResourceId"]: drift for drift in drifts}


def test_the_hello_app_is_in_sync_after_a_release(fixed: Emulator) -> None:
    cfn = _deploy_hello(fixed)

    status = _detect(cfn, "hello-dev")

    assert (status["StackDriftStatus"], status["DetectionStatus"]) == ("IN_SYNC", "DETECTION_COMPLETE")
    drifts = _drifts(cfn, "hello-dev")
    # The function URL and its permissions are NOT_CHECKED: not listed, as on AWS.
    assert {name: d["StackResourceDriftStatus"] for name, d in drifts.items()} == {
        "FunctionRole": "IN_SYNC",
        "Function": "IN_SYNC",
        "DeployedVersionParameter": "IN_SYNC",
    }
    assert TOKEN not in json.dumps(drifts, default=str)
    variables = json.loads(drifts["Function"]["ActualProperties"])["Environment"]["Variables"]
    assert variables["API_TOKEN"] == "{{resolve:secretsmanager:flightdeck/hello/api-token:SecretString:token}}"


def test_the_bootstrap_is_in_sync_and_hides_the_external_id(fixed: Emulator) -> None:
    cfn = _client(fixed, "cloudformation")
    template = (ROOT / "include/bootstrap/bootstrap.yaml").read_text()
    parameters = {"OrchestratorPrincipalArn": "arn:aws:iam::999999999999:role/orchestrator", "ExternalId": EXTERNAL_ID}
    assert (
        deploy(cfn, "flightdeck-bootstrap", template, parameters=parameters, Capabilities=["CAPABILITY_NAMED_IAM"])
        is None
    )

    status = _detect(cfn, "flightdeck-bootstrap")

    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("IN_SYNC", 0)
    drifts = _drifts(cfn, "flightdeck-bootstrap")
    assert sorted(drifts) == ["ArtifactBucket", "DeployRole", "ExecutionRole"]  # moto has no AWS::S3::BucketPolicy
    assert EXTERNAL_ID not in json.dumps(drifts, default=str)
    trust = json.loads(drifts["DeployRole"]["ExpectedProperties"])["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": "****"}}  # NoEcho


def test_drift_detection_needs_its_own_permissions(fixed: Emulator) -> None:
    _deploy_hello(fixed)
    iam = _client(fixed, "iam")
    for role, statements in (
        ("drift-checker", DRIFT_STATEMENTS),
        ("stack-scoped", [{**DRIFT_STATEMENTS[0], "Action": ["cloudformation:*"]}]),
    ):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Statement": []}))
        policy = json.dumps({"Version": "2012-10-17", "Statement": statements})
        iam.put_role_policy(RoleName=role, PolicyName="drift", PolicyDocument=policy)
    checker = _client(fixed, "cloudformation", "drift-checker")
    scoped = _client(fixed, "cloudformation", "stack-scoped")

    assert _detect(checker, "hello-dev")["StackDriftStatus"] == "IN_SYNC"
    assert len(_drifts(checker, "hello-dev")) == 3
    assert checker.detect_stack_resource_drift(StackName="hello-dev", LogicalResourceId="Function")
    refused = attempt(checker.detect_stack_drift, StackName="other")
    # DescribeStackDriftDetectionStatus names no stack: a statement scoped to stacks does not cover it.
    detection_id = scoped.detect_stack_drift(StackName="hello-dev")["StackDriftDetectionId"]
    status = attempt(scoped.describe_stack_drift_detection_status, StackDriftDetectionId=detection_id)

    principal = f"arn:aws:sts::{DEV}:assumed-role"
    assert isinstance(refused, ClientError)
    assert refused.response["Error"]["Code"] == "AccessDenied"
    assert refused.response["Error"]["Message"].startswith(
        f"User: {principal}/drift-checker/localaws-tests is not authorized to perform: cloudformation:DetectStackDrift "
        f"on resource: arn:aws:cloudformation:{REGION}:{DEV}:stack/other/*"
    )
    assert isinstance(status, ClientError)
    assert status.response["Error"]["Message"] == (
        f"User: {principal}/stack-scoped/localaws-tests is not authorized to perform: "
        "cloudformation:DescribeStackDriftDetectionStatus because no identity-based policy allows the "
        "cloudformation:DescribeStackDriftDetectionStatus action"
    )
