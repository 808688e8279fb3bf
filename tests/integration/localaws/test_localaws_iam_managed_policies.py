"""Managed policies of roles: AWS managed ones attach, and CloudFormation applies a role's ``ManagedPolicyArns``."""

from __future__ import annotations

from botocore.exceptions import ClientError
from localaws_helpers import DEV, Emulator, attempt, deploy, describe

BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TEMPLATE = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-function
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
      ManagedPolicyArns: [%s]
"""


def _attached(emulator: Emulator, role: str = "app-function") -> list[str]:
    policies = emulator.client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    return [policy["PolicyArn"] for policy in policies]


def test_a_role_made_by_cloudformation_gets_its_managed_policies(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")

    assert deploy(cfn, "app", TEMPLATE % BASIC) is None

    assert describe(cfn, "app")["StackStatus"] == "CREATE_COMPLETE"
    if emulator.stock:  # ManagedPolicyArns ignored
        assert _attached(emulator) == []
        return
    assert _attached(emulator) == [BASIC]
    cfn.delete_stack(StackName="app")  # the policy is detached first (else IAM refuses to delete the role)
    assert attempt(emulator.client("iam").get_role, RoleName="app-function") is not None
    assert attempt(describe, cfn, "app") is not None


def test_aws_managed_policies_can_be_attached(emulator: Emulator) -> None:
    iam = emulator.client("iam")
    iam.create_role(RoleName="app-function", AssumeRolePolicyDocument='{"Statement": []}')

    error = attempt(iam.attach_role_policy, RoleName="app-function", PolicyArn=BASIC)

    if emulator.stock:  # moto knows AWS managed policies only when it loads all of them at start
        assert isinstance(error, ClientError)
        assert error.response["Error"]["Code"] == "NoSuchEntity"
        return
    assert error is None
    assert _attached(emulator) == [BASIC]
    iam.detach_role_policy(RoleName="app-function", PolicyArn=BASIC)
    assert _attached(emulator) == []


def test_a_managed_policy_that_does_not_exist_fails_the_role(fixed: Emulator) -> None:
    cfn = fixed.client("cloudformation")
    missing = f"arn:aws:iam::{DEV}:policy/missing"

    deploy(cfn, "app", TEMPLATE % missing)

    stack = describe(cfn, "app")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    [failed] = [
        e for e in cfn.describe_stack_events(StackName="app")["StackEvents"] if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert failed["LogicalResourceId"] == "Role"
    assert f"Policy {missing} does not exist or is not attachable." in failed["ResourceStatusReason"]
    assert attempt(fixed.client("iam").get_role, RoleName="app-function") is not None  # not left behind
