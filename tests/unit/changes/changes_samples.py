"""Builders of small CloudFormation templates and change-set entries for the change-review tests."""

from __future__ import annotations

from typing import Any

LAMBDA_TRUST = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
READ_TABLE = {
    "Effect": "Allow",
    "Action": ["dynamodb:GetItem", "dynamodb:Query"],
    "Resource": {"Fn::GetAtt": ["Table", "Arn"]},
}


def template(resources: dict[str, Any], parameters: dict[str, Any] | None = None, **sections: Any) -> dict[str, Any]:
    """A template with ``resources`` (and ``Parameters``, ``Outputs``... when given)."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        **({"Parameters": parameters} if parameters else {}),
        "Resources": resources,
        **sections,
    }


def function(environment: dict[str, Any] | None = None, **properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.12",
            "Handler": "app.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"S3Bucket": "artifacts", "S3Key": "code/abc.zip"},
            "Environment": {"Variables": environment or {"LOG_LEVEL": "INFO"}},
            **properties,
        },
    }


def table(name: Any = "users", **attributes: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        },
        **attributes,
    }


def bucket(**attributes: Any) -> dict[str, Any]:
    return {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}, **attributes}


def role(*statements: dict[str, Any], trust: tuple[dict[str, Any], ...] = (LAMBDA_TRUST,)) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": list(trust)},
            "Policies": [
                {"PolicyName": "app", "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)}}
            ]
            if statements
            else [],
        },
    }


def ingress(port: int | str, cidr: Any = "10.0.0.0/8", *, to: int | None = None, protocol: str = "tcp") -> dict:
    return {"IpProtocol": protocol, "FromPort": port, "ToPort": port if to is None else to, "CidrIp": cidr}


def security_group(*rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {"GroupDescription": "web", "VpcId": "vpc-1", "SecurityGroupIngress": list(rules)},
    }


def resource_change(
    action: str,
    logical_id: str,
    resource_type: str,
    *,
    replacement: str | None = None,
    details: tuple[tuple[str, str, str], ...] = (),
) -> dict[str, Any]:
    """One ``Changes`` entry as boto3 returns it; ``details`` are (attribute, name, requires recreation)."""
    change: dict[str, Any] = {
        "Action": action,
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": f"{logical_id.lower()}-1234",
        "ResourceType": resource_type,
    }
    if replacement is not None:
        change["Replacement"] = replacement
        change["Scope"] = sorted({attribute for attribute, _, _ in details})
    if details:
        change["Details"] = [
            {
                "Target": {"Attribute": attribute, "Name": name, "RequiresRecreation": recreation},
                "Evaluation": "Static",
                "ChangeSource": "DirectModification",
            }
            for attribute, name, recreation in details
        ]
    return {"Type": "Resource", "ResourceChange": change}
