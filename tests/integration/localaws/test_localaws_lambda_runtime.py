"""Gap I: ``lambda.invoke`` runs the deployed Python handler locally, as the function's own account."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from localaws_helpers import DEV, REGION, STAGING, Emulator, deploy, describe, zip_bytes

HANDLER = """
import os
import time

import boto3


def handler(event, context):
    if "fail" in event:
        raise ValueError("boom: " + event["fail"])
    time.sleep(event.get("sleep", 0))
    marker = boto3.client("ssm").get_parameter(Name="/lambda/marker")["Parameter"]["Value"]
    return {
        "account": boto3.client("sts").get_caller_identity()["Account"],
        "marker": marker,
        "greeting": os.environ["GREETING"],
        "region": os.environ["AWS_REGION"],
        "name": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        "request_id": context.aws_request_id,
        "event": event,
    }
"""
TEMPLATE = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: greeter  # the same ARN after a reset: cached credentials must not outlive the reset
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
      # The handler runs with this role's credentials, and IAM is enforced for roles that exist.
      Policies:
        - PolicyName: marker
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: ssm:GetParameter
                Resource: !Sub "arn:aws:ssm:*:${AWS::AccountId}:parameter/lambda/*"
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: greeter
      Runtime: python3.11
      Handler: app/main.handler
      Role: !GetAtt Role.Arn
      Timeout: 10  # the handler imports boto3: seconds on a loaded 2-core machine
      Code: {S3Bucket: !Sub "artifacts-${AWS::AccountId}", S3Key: greeter.zip}
      Environment: {Variables: {GREETING: !Sub "hello from ${AWS::AccountId}"}}
Outputs:
  Arn: {Value: !GetAtt Fn.Arn}
"""


def _deploy_function(emulator: Emulator, account: str) -> str:
    """Upload the code, seed the marker and deploy the stack in ``account``; returns the function ARN."""
    s3 = emulator.client("s3", account)
    bucket = f"artifacts-{account}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key="greeter.zip", Body=zip_bytes({"app/main.py": HANDLER}))
    emulator.client("ssm", account).put_parameter(Name="/lambda/marker", Value=f"marker-{account}", Type="String")
    cfn = emulator.client("cloudformation", account)
    assert deploy(cfn, "greeter", TEMPLATE) is None
    assert describe(cfn, "greeter")["StackStatus"] == "CREATE_COMPLETE"
    return f"arn:aws:lambda:{REGION}:{account}:function:greeter"


def _invoke(emulator: Emulator, account: str, function: str, event: dict[str, Any]) -> dict[str, Any]:
    response = emulator.client("lambda", account).invoke(FunctionName=function, Payload=json.dumps(event).encode())
    return {
        "status": response["StatusCode"],
        "error": response.get("FunctionError"),
        "payload": response["Payload"].read().decode(),
    }


def test_invoke_runs_the_handler_from_the_deployed_code(emulator: Emulator) -> None:
    _deploy_function(emulator, DEV)

    result = _invoke(emulator, DEV, "greeter", {"order": 42})

    if emulator.stock:
        assert result["error"] == "Handled"
        assert "error running docker" in result["payload"]
        return
    assert (result["status"], result["error"]) == (200, None)
    payload = json.loads(result["payload"])
    assert payload.pop("request_id")
    assert payload == {
        "account": DEV,
        "marker": f"marker-{DEV}",
        "greeting": f"hello from {DEV}",
        "region": REGION,
        "name": "greeter",
        "event": {"order": 42},
    }


def test_handler_exception_is_an_unhandled_function_error(emulator: Emulator) -> None:
    _deploy_function(emulator, DEV)

    result = _invoke(emulator, DEV, "greeter", {"fail": "no greeting"})

    if emulator.stock:
        assert result["error"] == "Handled"
        assert "boom" not in result["payload"]
        return
    assert (result["status"], result["error"]) == (200, "Unhandled")
    payload = json.loads(result["payload"])
    assert (payload["errorType"], payload["errorMessage"]) == ("ValueError", "boom: no greeting")


def test_function_timeout_kills_the_handler(emulator: Emulator) -> None:
    _deploy_function(emulator, DEV)

    started = time.monotonic()
    result = _invoke(emulator, DEV, "greeter", {"sleep": 30})
    elapsed = time.monotonic() - started

    if emulator.stock:
        assert result["error"] == "Handled"
        assert "error running docker" in result["payload"]
        return
    assert result["error"] == "Unhandled"
    assert "Task timed out after 10.00 seconds" in json.loads(result["payload"])["errorMessage"]
    assert elapsed < 25


def test_each_account_runs_its_own_function(emulator: Emulator) -> None:
    _deploy_function(emulator, DEV)
    staging_arn = _deploy_function(emulator, STAGING)

    results = [
        _invoke(emulator, DEV, "greeter", {}),
        _invoke(emulator, STAGING, "greeter", {}),
        _invoke(emulator, DEV, staging_arn, {}),  # by ARN from another account
    ]

    if emulator.stock:
        assert all(result["error"] == "Handled" for result in results)
        return
    seen = [(json.loads(r["payload"])["account"], json.loads(r["payload"])["marker"]) for r in results]
    assert seen == [(DEV, f"marker-{DEV}"), (STAGING, f"marker-{STAGING}"), (STAGING, f"marker-{STAGING}")]


def test_log_tail_and_logs(fixed: Emulator) -> None:
    _deploy_function(fixed, DEV)

    response = fixed.client("lambda").invoke(FunctionName="greeter", Payload=b"{}", LogType="Tail")

    tail = base64.b64decode(response["LogResult"]).decode()
    assert "START RequestId:" in tail
    assert "REPORT RequestId:" in tail
    streams = fixed.client("logs").describe_log_streams(logGroupName="/aws/lambda/greeter")["logStreams"]
    assert streams


def test_reset_forgets_credentials_of_the_previous_run(fixed: Emulator, local_aws_server: Any) -> None:
    _deploy_function(fixed, STAGING)
    assert json.loads(_invoke(fixed, STAGING, "greeter", {})["payload"])["account"] == STAGING

    local_aws_server.reset()
    _deploy_function(fixed, STAGING)

    assert json.loads(_invoke(fixed, STAGING, "greeter", {})["payload"])["account"] == STAGING
