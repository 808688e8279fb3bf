"""Drift detection: resources changed or deleted by hand are reported as on AWS; plain moto answers HTTP 500."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
from localaws_helpers import (
    DEV,
    REGION,
    Emulator,
    attempt,
    create_change_set,
    deploy,
    describe,
    parameter_template,
    zip_bytes,
)

from flightdeck.localaws.faults_client import set_faults

SECRET = "s3cr3t-t0ken"
TOKEN = "{{resolve:secretsmanager:app/token:SecretString:token}}"
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TEMPLATE = """
Parameters:
  Greeting: {Type: String, Default: hello}
  Version: {Type: String, Default: 1.0.0}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      Description: Runs the app
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
      ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]
      Policies:
        - PolicyName: settings
          PolicyDocument:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: "ssm:GetParameter", Resource: "*"}]
      Tags: [{Key: team, Value: platform}]
  Function:
    Type: AWS::Lambda::Function
    Properties:
      Description: !Sub "app ${Version}"
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Timeout: 10
      MemorySize: 128
      Code: {S3Bucket: !Sub "artifacts-${AWS::AccountId}", S3Key: app.zip}
      Environment:
        Variables:
          GREETING: !Ref Greeting
          TOKEN: "{{resolve:secretsmanager:app/token:SecretString:token}}"
  Setting:
    Type: AWS::SSM::Parameter
    Properties: {Name: /app/version, Type: String, Value: !Ref Version, Description: Deployed version}
  Permission:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Function, Action: "lambda:InvokeFunction", Principal: s3.amazonaws.com}
"""
CHECKED = ["Role", "Function", "Setting"]  # Permission's type does not support drift detection


def _deploy(emulator: Emulator, stack: str = "app") -> Any:
    """The code and secret the template needs, then the stack (created by a change set, as Flightdeck does)."""
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=f"artifacts-{DEV}", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=f"artifacts-{DEV}", Key="app.zip", Body=zip_bytes({"app.py": "def handler(e, c): return e"}))
    emulator.client("secretsmanager").create_secret(Name="app/token", SecretString=json.dumps({"token": SECRET}))
    cfn = emulator.client("cloudformation")
    assert deploy(cfn, stack, TEMPLATE) is None
    assert describe(cfn, stack)["StackStatus"] == "CREATE_COMPLETE"
    return cfn


def _detect(cfn: Any, stack: str = "app", **extra: Any) -> dict[str, Any]:
    detection_id = cfn.detect_stack_drift(StackName=stack, **extra)["StackDriftDetectionId"]
    status = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection_id)
    status.pop("ResponseMetadata")
    return status


def _drifts(cfn: Any, stack: str = "app", **extra: Any) -> dict[str, dict[str, Any]]:
    answer = cfn.describe_stack_resource_drifts(StackName=stack, **extra)
    return {drift["LogicalResourceId"]: drift for drift in answer["StackResourceDrifts"]}


def _resource_statuses(cfn: Any, stack: str = "app") -> dict[str, str]:
    resources = cfn.describe_stack_resources(StackName=stack)["StackResources"]
    return {r["LogicalResourceId"]: r["DriftInformation"]["StackResourceDriftStatus"] for r in resources}


def _error(err: Exception | None) -> dict[str, Any]:
    assert isinstance(err, ClientError), err
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return err.response["Error"]


def _set_greeting(emulator: Emulator, greeting: str, **extra: str) -> None:
    """Change the function's environment by hand (the whole set is replaced: the token is given again)."""
    variables = {"GREETING": greeting, "TOKEN": SECRET, **extra}
    emulator.client("lambda").update_function_configuration(
        FunctionName=_physical_id(emulator, "Function"), Environment={"Variables": variables}
    )


def _physical_id(emulator: Emulator, logical_id: str) -> str:
    cfn = emulator.client("cloudformation")
    resource = cfn.describe_stack_resource(StackName="app", LogicalResourceId=logical_id)["StackResourceDetail"]
    return str(resource["PhysicalResourceId"])


def test_a_new_stack_is_in_sync(emulator: Emulator) -> None:
    cfn = _deploy(emulator)
    before = describe(cfn, "app").get("DriftInformation")

    error = attempt(cfn.detect_stack_drift, StackName="app")

    if emulator.stock:  # not implemented: HTTP 500
        assert isinstance(error, ResponseParserError | ClientError), error
        assert before is None
        return
    assert error is None
    assert before == {"StackDriftStatus": "NOT_CHECKED"}
    status = _detect(cfn)
    assert status["StackDriftStatus"] == "IN_SYNC"
    assert status["DetectionStatus"] == "DETECTION_COMPLETE"
    assert status["DriftedStackResourceCount"] == 0
    assert status["StackId"] == describe(cfn, "app")["StackId"]
    assert "DetectionStatusReason" not in status
    drifts = _drifts(cfn)
    assert list(drifts) == CHECKED
    assert {name: d["StackResourceDriftStatus"] for name, d in drifts.items()} == dict.fromkeys(CHECKED, "IN_SYNC")
    assert all(d["PropertyDifferences"] == [] for d in drifts.values())
    after = describe(cfn, "app")["DriftInformation"]
    assert after["StackDriftStatus"] == "IN_SYNC"
    assert after["LastCheckTimestamp"] == status["Timestamp"]


def test_expected_and_actual_properties_are_those_of_the_template(fixed: Emulator) -> None:
    cfn = _deploy(fixed)
    _detect(cfn)

    function = _drifts(cfn)["Function"]

    expected, actual = json.loads(function["ExpectedProperties"]), json.loads(function["ActualProperties"])
    assert expected == {
        "Description": "app 1.0.0",
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "Role": f"arn:aws:iam::{DEV}:role/{_physical_id(fixed, 'Role')}",
        "Timeout": 10,
        "MemorySize": 128,
        "Environment": {"Variables": {"GREETING": "hello", "TOKEN": TOKEN}},
    }  # Code is write-only: never compared, as on AWS
    assert actual == expected  # the secret shows as its reference on both sides
    assert SECRET not in json.dumps(_drifts(cfn), default=str)
    assert function["PhysicalResourceId"] == _physical_id(fixed, "Function")
    assert function["ResourceType"] == "AWS::Lambda::Function"
    role = json.loads(_drifts(cfn)["Role"]["ActualProperties"])
    assert role["ManagedPolicyArns"] == [BASIC]
    assert role["Tags"] == [{"Key": "team", "Value": "platform"}]


def test_changes_made_by_hand_are_reported(fixed: Emulator) -> None:
    cfn = _deploy(fixed)
    _set_greeting(fixed, "hi", EXTRA="added")
    fixed.client("ssm").put_parameter(Name="/app/version", Value="9.9.9", Overwrite=True)
    fixed.client("iam").detach_role_policy(RoleName=_physical_id(fixed, "Role"), PolicyArn=BASIC)

    status = _detect(cfn)

    assert status["StackDriftStatus"] == "DRIFTED"
    assert status["DriftedStackResourceCount"] == 3
    assert describe(cfn, "app")["DriftInformation"]["StackDriftStatus"] == "DRIFTED"
    drifts = _drifts(cfn)
    assert {name: d["StackResourceDriftStatus"] for name, d in drifts.items()} == dict.fromkeys(CHECKED, "MODIFIED")
    assert drifts["Function"]["PropertyDifferences"] == [
        {
            "PropertyPath": "/Environment/Variables/GREETING",
            "ExpectedValue": "hello",
            "ActualValue": "hi",
            "DifferenceType": "NOT_EQUAL",
        },
        {
            "PropertyPath": "/Environment/Variables/EXTRA",
            "ExpectedValue": "null",
            "ActualValue": "added",
            "DifferenceType": "ADD",
        },
    ]
    assert json.loads(drifts["Function"]["ActualProperties"])["Environment"]["Variables"] == {
        "GREETING": "hi",
        "TOKEN": TOKEN,
        "EXTRA": "added",
    }
    assert drifts["Setting"]["PropertyDifferences"] == [
        {"PropertyPath": "/Value", "ExpectedValue": "1.0.0", "ActualValue": "9.9.9", "DifferenceType": "NOT_EQUAL"}
    ]
    assert drifts["Role"]["PropertyDifferences"] == [
        {
            "PropertyPath": "/ManagedPolicyArns/0",
            "ExpectedValue": BASIC,
            "ActualValue": "null",
            "DifferenceType": "REMOVE",
        }
    ]
    assert _resource_statuses(cfn) == {**dict.fromkeys(CHECKED, "MODIFIED"), "Permission": "NOT_CHECKED"}
    summaries = cfn.list_stack_resources(StackName="app")["StackResourceSummaries"]
    assert {s["LogicalResourceId"]: s["DriftInformation"]["StackResourceDriftStatus"] for s in summaries} == (
        _resource_statuses(cfn)
    )


def test_a_secret_changed_by_hand_is_masked(fixed: Emulator) -> None:
    cfn = _deploy(fixed)
    fixed.client("lambda").update_function_configuration(
        FunctionName=_physical_id(fixed, "Function"), Environment={"Variables": {"GREETING": "hello", "TOKEN": "x"}}
    )

    _detect(cfn)

    function = _drifts(cfn)["Function"]
    assert function["PropertyDifferences"] == [
        {
            "PropertyPath": "/Environment/Variables/TOKEN",
            "ExpectedValue": TOKEN,
            "ActualValue": "****",
            "DifferenceType": "NOT_EQUAL",
        }
    ]
    assert json.loads(function["ActualProperties"])["Environment"]["Variables"]["TOKEN"] == "****"


def test_a_resource_deleted_by_hand_is_deleted(fixed: Emulator) -> None:
    cfn = _deploy(fixed)
    fixed.client("ssm").delete_parameter(Name="/app/version")

    status = _detect(cfn)

    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("DRIFTED", 1)
    setting = _drifts(cfn)["Setting"]
    assert setting["StackResourceDriftStatus"] == "DELETED"
    assert "ExpectedProperties" not in setting
    assert "ActualProperties" not in setting
    only = cfn.describe_stack_resource_drifts(StackName="app", StackResourceDriftStatusFilters=["DELETED"])
    assert [d["LogicalResourceId"] for d in only["StackResourceDrifts"]] == ["Setting"]
    one = cfn.detect_stack_resource_drift(StackName="app", LogicalResourceId="Setting")["StackResourceDrift"]
    assert one["StackResourceDriftStatus"] == "DELETED"


def test_an_update_repairs_the_resources_it_changes_only(fixed: Emulator) -> None:
    cfn = _deploy(fixed)
    _set_greeting(fixed, "hi")
    fixed.client("ssm").put_parameter(Name="/app/version", Value="9.9.9", Overwrite=True)
    fixed.client("iam").detach_role_policy(RoleName=_physical_id(fixed, "Role"), PolicyArn=BASIC)

    # The same template and parameters: no update at all, so the drift stays (as on AWS).
    same = attempt(cfn.update_stack, StackName="app", TemplateBody=TEMPLATE)
    assert _error(same)["Message"] == "No updates are to be performed."
    assert _detect(cfn)["DriftedStackResourceCount"] == 3
    # New parameters change Function and Setting (through Ref): their update applies all their properties again.
    release = {"Greeting": "hey", "Version": "2.0.0"}
    assert deploy(cfn, "app", TEMPLATE, kind="UPDATE", name="release-2", parameters=release) is None

    status = _detect(cfn)

    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("DRIFTED", 1)
    drifts = _drifts(cfn)
    assert {name: d["StackResourceDriftStatus"] for name, d in drifts.items()} == {
        "Role": "MODIFIED",  # not part of the update: still drifted
        "Function": "IN_SYNC",
        "Setting": "IN_SYNC",
    }
    variables = json.loads(drifts["Function"]["ActualProperties"])["Environment"]["Variables"]
    assert variables == {"GREETING": "hey", "TOKEN": TOKEN}
    assert json.loads(drifts["Setting"]["ActualProperties"])["Value"] == "2.0.0"


def test_one_resource_at_a_time(fixed: Emulator) -> None:
    cfn = _deploy(fixed)
    _set_greeting(fixed, "hi")

    one = cfn.detect_stack_resource_drift(StackName="app", LogicalResourceId="Function")["StackResourceDrift"]
    unsupported = cfn.detect_stack_resource_drift(StackName="app", LogicalResourceId="Permission")

    assert one["StackResourceDriftStatus"] == "MODIFIED"
    assert [d["PropertyPath"] for d in one["PropertyDifferences"]] == ["/Environment/Variables/GREETING"]
    assert list(_drifts(cfn)) == ["Function"]  # only what was checked
    assert _resource_statuses(cfn)["Function"] == "MODIFIED"
    assert describe(cfn, "app")["DriftInformation"] == {"StackDriftStatus": "NOT_CHECKED"}  # the stack was not
    assert unsupported["StackResourceDrift"]["StackResourceDriftStatus"] == "NOT_CHECKED"
    assert unsupported["StackResourceDrift"]["ResourceType"] == "AWS::Lambda::Permission"
    # DetectStackDrift may name the resources to check.
    status = _detect(cfn, LogicalResourceIds=["Setting"])
    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("IN_SYNC", 0)
    assert list(_drifts(cfn)) == ["Function", "Setting"]


def test_results_are_paged(fixed: Emulator) -> None:
    cfn = _deploy(fixed)
    _detect(cfn)

    first = cfn.describe_stack_resource_drifts(StackName="app", MaxResults=2)
    rest = cfn.describe_stack_resource_drifts(StackName="app", MaxResults=2, NextToken=first["NextToken"])

    assert [d["LogicalResourceId"] for d in first["StackResourceDrifts"]] == ["Role", "Function"]
    assert [d["LogicalResourceId"] for d in rest["StackResourceDrifts"]] == ["Setting"]
    assert "NextToken" not in rest


@pytest.mark.parametrize(
    ("call", "arguments", "message"),
    [
        ("detect_stack_drift", {"StackName": "nope"}, "Stack with id nope does not exist"),
        ("describe_stack_resource_drifts", {"StackName": "nope"}, "Stack with id nope does not exist"),
        (
            "detect_stack_resource_drift",
            {"StackName": "app", "LogicalResourceId": "Nope"},
            "Resource Nope does not exist for stack app",
        ),
        (
            "detect_stack_drift",
            {"StackName": "app", "LogicalResourceIds": ["Nope"]},
            "Resource Nope does not exist for stack app",
        ),
        (
            "describe_stack_drift_detection_status",
            {"StackDriftDetectionId": "00000000-0000-0000-0000-000000000000"},
            "Drift detection [00000000-0000-0000-0000-000000000000] does not exist",
        ),
    ],
)
def test_unknown_stacks_resources_and_detections_are_validation_errors(
    fixed: Emulator, call: str, arguments: dict[str, Any], message: str
) -> None:
    cfn = fixed.client("cloudformation")
    assert deploy(cfn, "app", parameter_template({"P": ("/p", "v")})) is None

    error = _error(attempt(getattr(cfn, call), **arguments))

    assert (error["Code"], error["Message"]) == ("ValidationError", message)


def test_a_stack_that_was_never_deployed_cannot_be_checked(fixed: Emulator) -> None:
    cfn = fixed.client("cloudformation")
    create_change_set(cfn, "app", TEMPLATE)  # REVIEW_IN_PROGRESS until executed

    error = _error(attempt(cfn.detect_stack_drift, StackName="app"))

    assert error["Code"] == "ValidationError"
    assert error["Message"].startswith("Drift detection cannot be performed on stack [app] in REVIEW_IN_PROGRESS state")


def test_a_slow_detection_shows_in_progress(fixed: Emulator) -> None:
    cfn = _deploy(fixed)
    set_faults(fixed.endpoint_url, stack_operation_seconds=1.0)

    detection_id = cfn.detect_stack_drift(StackName="app")["StackDriftDetectionId"]
    during = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection_id)
    time.sleep(1.1)
    after = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection_id)

    assert during["DetectionStatus"] == "DETECTION_IN_PROGRESS"
    assert "StackDriftStatus" not in during
    assert (after["DetectionStatus"], after["StackDriftStatus"]) == ("DETECTION_COMPLETE", "IN_SYNC")
