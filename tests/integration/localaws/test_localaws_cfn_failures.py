"""Gap C: a resource error ends in ROLLBACK_COMPLETE / UPDATE_ROLLBACK_COMPLETE, with reasons, never HTTP 500."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import WaiterError
from localaws_helpers import (
    QUICK_WAIT,
    Emulator,
    attempt,
    deploy,
    describe,
    events,
    outputs,
    parameter_template,
    ssm_value,
    status_or_error,
)

# "Bad" has no Value: SSM rejects it (moto raises its ValidationException).
BROKEN = parameter_template({"Good": ("/app/good", "ok"), "Bad": ("/app/bad", None)}).replace(
    "  Bad:\n", "  Bad:\n    DependsOn: Good\n"
)
ROLE = """
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
"""
# The code object does not exist: moto raises a ValueError while creating the function.
MISSING_CODE = f"""
Resources:{ROLE}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {{S3Bucket: artifacts, S3Key: missing.zip}}
"""
# No Role: moto's CloudFormation model raises a bare KeyError.
NO_ROLE = """
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.11, Handler: index.handler, Code: {ZipFile: "def handler(e, c): pass"}}
"""


def _resource_failures(cfn: Any, stack: str) -> list[tuple[str, str, str]]:
    return [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", ""))
        for e in events(cfn, stack)
        if e["ResourceStatus"].endswith("_FAILED") and e["LogicalResourceId"] != stack
    ]


def _wait(cfn: Any, waiter: str, stack: str) -> WaiterError:
    with pytest.raises(WaiterError) as caught:
        cfn.get_waiter(waiter).wait(StackName=stack, WaiterConfig=QUICK_WAIT)
    return caught.value


@pytest.mark.parametrize(
    ("template", "failed", "error"),
    [
        (BROKEN, "Bad", "ValidationException"),
        (MISSING_CODE, "Fn", "NoSuchKey"),
        (NO_ROLE, "Fn", "'Role'"),
    ],
    ids=["ssm-without-value", "lambda-code-missing", "moto-key-error"],
)
def test_failed_create_rolls_back(emulator: Emulator, template: str, failed: str, error: str) -> None:
    emulator.client("s3").create_bucket(
        Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    cfn = emulator.client("cloudformation")

    execution_error = deploy(cfn, "app", template)

    if emulator.stock:
        # HTTP 500 and a stack stuck in progress (or broken), or no error at all and a "complete" stack.
        status = status_or_error(cfn, "app")
        assert status in ("REVIEW_IN_PROGRESS", "CREATE_COMPLETE") or isinstance(status, Exception)
        assert (execution_error is None) == (status == "CREATE_COMPLETE")
        return
    assert execution_error is None  # ExecuteChangeSet succeeds; the stack fails
    assert "terminal failure state" in str(_wait(cfn, "stack_create_complete", "app"))
    stack = describe(cfn, "app")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert f"[{failed}]" in stack["StackStatusReason"]
    [(logical_id, status, reason)] = _resource_failures(cfn, "app")
    assert (logical_id, status) == (failed, "CREATE_FAILED")
    assert failed in reason
    assert error in reason
    assert cfn.list_stack_resources(StackName="app")["StackResourceSummaries"] == []
    assert "Outputs" not in stack


def test_failed_create_removes_what_it_created(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    ssm = emulator.client("ssm")

    deploy(cfn, "app", BROKEN)

    if emulator.stock:
        assert ssm_value(ssm, "/app/good") == "ok"  # left behind
    else:
        assert ssm_value(ssm, "/app/good") is None
        statuses = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events(cfn, "app")]
        assert ("Good", "DELETE_COMPLETE") in statuses
        assert statuses[-2:] == [("Good", "DELETE_COMPLETE"), ("app", "ROLLBACK_COMPLETE")]


V1 = parameter_template({"Setting": ("/app/setting", "v1")}, {"Setting": "!Ref Setting"})
# Setting loses its Value (update fails) while Extra is added (and must be removed by the rollback).
V2 = parameter_template(
    {"Extra": ("/app/extra", "new"), "Setting": ("/app/setting", None)}, {"Setting": "!Ref Extra"}
).replace("  Setting:\n", "  Setting:\n    DependsOn: Extra\n")


def test_failed_update_rolls_back_to_the_previous_stack(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    ssm = emulator.client("ssm")
    cfn.create_stack(StackName="app", TemplateBody=V1)
    before = {"outputs": outputs(cfn, "app"), "template": cfn.get_template(StackName="app")["TemplateBody"]}

    execution_error = deploy(cfn, "app", V2, kind="UPDATE")

    if emulator.stock:
        status = status_or_error(cfn, "app")
        assert execution_error is not None  # HTTP 500, and the stack still claims its previous status
        assert status == "CREATE_COMPLETE" or isinstance(status, Exception)
        return
    assert execution_error is None
    assert "terminal failure state" in str(_wait(cfn, "stack_update_complete", "app"))
    stack = describe(cfn, "app")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "[Setting]" in stack["StackStatusReason"]
    [(logical_id, status, reason)] = _resource_failures(cfn, "app")
    assert (logical_id, status) == ("Setting", "UPDATE_FAILED")
    assert "Setting" in reason
    assert outputs(cfn, "app") == before["outputs"]
    assert cfn.get_template(StackName="app")["TemplateBody"] == before["template"]
    assert ssm_value(ssm, "/app/setting") == "v1"
    assert ssm_value(ssm, "/app/extra") is None
    resources = cfn.list_stack_resources(StackName="app")["StackResourceSummaries"]
    assert [r["LogicalResourceId"] for r in resources] == ["Setting"]
    # The stack can be updated again afterwards.
    fixed_v2 = V2.replace("      Name: /app/setting\n", "      Name: /app/setting\n      Value: v2\n")
    assert deploy(cfn, "app", fixed_v2, kind="UPDATE", name="release-2") is None
    assert describe(cfn, "app")["StackStatus"] == "UPDATE_COMPLETE"
    assert (ssm_value(ssm, "/app/setting"), ssm_value(ssm, "/app/extra")) == ("v2", "new")


def test_lambda_update_to_missing_code_rolls_back(fixed: Emulator) -> None:
    s3 = fixed.client("s3")
    s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="artifacts", Key="v1.zip", Body=b"PK\x05\x06" + b"\x00" * 18)
    cfn = fixed.client("cloudformation")
    assert deploy(cfn, "app", MISSING_CODE.replace("missing.zip", "v1.zip")) is None
    code_before = fixed.client("lambda").get_function(FunctionName=_function_name(cfn))["Configuration"]

    assert deploy(cfn, "app", MISSING_CODE, kind="UPDATE", name="release-2") is None

    assert describe(cfn, "app")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    [(logical_id, status, reason)] = _resource_failures(cfn, "app")
    assert (logical_id, status) == ("Fn", "UPDATE_FAILED")
    assert "NoSuchKey" in reason
    code_after = fixed.client("lambda").get_function(FunctionName=_function_name(cfn))["Configuration"]
    assert code_after["CodeSha256"] == code_before["CodeSha256"]


def test_a_rolled_back_stack_cannot_be_updated_but_can_be_deleted(fixed: Emulator) -> None:
    cfn = fixed.client("cloudformation")
    deploy(cfn, "app", BROKEN)

    refused = attempt(
        cfn.create_change_set, StackName="app", ChangeSetName="again", TemplateBody=V1, ChangeSetType="UPDATE"
    )
    cfn.delete_stack(StackName="app")

    assert refused is not None
    assert "ROLLBACK_COMPLETE" in str(refused)
    assert attempt(describe, cfn, "app") is not None  # gone
    assert deploy(cfn, "app", V1, name="release-2") is None
    assert describe(cfn, "app")["StackStatus"] == "CREATE_COMPLETE"


def _function_name(cfn: Any) -> str:
    return cfn.describe_stack_resource(StackName="app", LogicalResourceId="Fn")["StackResourceDetail"][
        "PhysicalResourceId"
    ]


def test_create_stack_and_update_stack_follow_the_same_model(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")

    create_error = attempt(cfn.create_stack, StackName="broken", TemplateBody=BROKEN)
    cfn.create_stack(StackName="app", TemplateBody=V1)
    update_error = attempt(cfn.update_stack, StackName="app", TemplateBody=V2)

    if emulator.stock:
        assert create_error is not None  # HTTP 500
        assert update_error is not None
        return
    assert (create_error, update_error) == (None, None)
    assert status_or_error(cfn, "broken") == "ROLLBACK_COMPLETE"
    assert status_or_error(cfn, "app") == "UPDATE_ROLLBACK_COMPLETE"
    assert outputs(cfn, "app") == {"Setting": "/app/setting"}
