"""Gap: moto's CloudFormation update of an ``AWS::IAM::Role`` keeps its old policies, trust and tags."""

from __future__ import annotations

import ast
import json
from typing import Any

from localaws_helpers import Emulator, deploy, describe


def _template(action: str, service: str, tag: str) -> str:
    return f"""
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-role
      AssumeRolePolicyDocument:
        Statement: [{{Effect: Allow, Principal: {{Service: {service}}}, Action: "sts:AssumeRole"}}]
      Policies:
        - PolicyName: app
          PolicyDocument:
            Statement: [{{Effect: Allow, Action: "{action}", Resource: "*"}}]
      Tags: [{{Key: stage, Value: {tag}}}]
"""


def _document(value: Any) -> Any:
    """A policy document as IAM returns it (moto renders one created by CloudFormation as a Python literal)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return ast.literal_eval(value)


def test_an_update_changes_the_roles_policy_trust_and_tags(emulator: Emulator) -> None:
    cfn, iam = emulator.client("cloudformation"), emulator.client("iam")
    deploy(cfn, "roles", _template("s3:GetObject", "lambda.amazonaws.com", "one"), "CREATE", "release-1")
    deploy(cfn, "roles", _template("s3:PutObject", "ec2.amazonaws.com", "two"), "UPDATE", "release-2")
    assert describe(cfn, "roles")["StackStatus"] == "UPDATE_COMPLETE"
    document = _document(iam.get_role_policy(RoleName="app-role", PolicyName="app")["PolicyDocument"])
    trust = _document(iam.get_role(RoleName="app-role")["Role"]["AssumeRolePolicyDocument"])
    tags = {tag["Key"]: tag["Value"] for tag in iam.list_role_tags(RoleName="app-role")["Tags"]}
    seen = (document["Statement"][0]["Action"], trust["Statement"][0]["Principal"]["Service"], tags["stage"])
    if emulator.stock:
        assert seen == ("s3:GetObject", "lambda.amazonaws.com", "one")  # the update never reached the role
    else:
        assert seen == ("s3:PutObject", "ec2.amazonaws.com", "two")
