"""Live properties of stack resources, read from moto's backends in the CloudFormation shape drift compares."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# (account, region, physical id) -> the resource's live properties, or None when it no longer exists.
Reader = Callable[[str, str, str], "dict[str, Any] | None"]


@dataclass(frozen=True)
class DriftType:
    """How drift detection reads one resource type.

    :param read: the live properties of a resource (None: it was deleted).
    :param properties: the properties ``read`` knows; others set in the template are not compared (shown in sync).
    :param write_only: properties AWS never compares (they cannot be read back); left out of both sides.
    :param unordered: list properties compared as sets -> the key their items are matched by (None: by value).
    """

    read: Reader
    properties: frozenset[str]
    write_only: frozenset[str] = frozenset()
    unordered: Mapping[str, str | None] = field(default_factory=dict)


def _present(properties: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in properties.items() if value is not None}


def _tag_list(tags: Mapping[str, str] | list[dict[str, str]] | None) -> list[dict[str, str]]:
    """Tags as CloudFormation lists them, without AWS's own (``aws:*``)."""
    items = [{"Key": k, "Value": v} for k, v in tags.items()] if isinstance(tags, Mapping) else list(tags or [])
    return [tag for tag in items if not str(tag["Key"]).startswith("aws:")]


def _document(document: Any) -> Any:
    """A policy document as an object (moto keeps what it was given: an object from CloudFormation, else text)."""
    if isinstance(document, str):
        try:
            return json.loads(document)
        except ValueError:
            return document
    return document


def lambda_function(account: str, region: str, name: str) -> dict[str, Any] | None:
    """``AWS::Lambda::Function`` as ``GetFunction`` shows it (``Code`` is write-only, as on AWS)."""
    from moto.awslambda.exceptions import UnknownFunctionException
    from moto.awslambda.models import lambda_backends

    try:
        function = lambda_backends[account][region].get_function(name)
    except UnknownFunctionException:
        return None
    variables = function.environment_vars
    return _present(
        {
            "FunctionName": function.function_name,
            "Description": function.description,
            "Handler": function.handler,
            "Runtime": function.run_time,
            "MemorySize": function.memory_size,
            "Timeout": function.timeout,
            "Role": function.role,
            "Environment": {"Variables": dict(variables)} if variables else None,
        }
    )


def ssm_parameter(account: str, region: str, name: str) -> dict[str, Any] | None:
    """``AWS::SSM::Parameter`` as ``GetParameter``/``DescribeParameters``/``ListTagsForResource`` show it."""
    from moto.ssm.models import ssm_backends

    backend = ssm_backends[account][region]
    parameter = backend.get_parameter(name)
    if parameter is None:
        return None
    tags = dict(backend._resource_tags.get("Parameter", {}).get(parameter.name, {}))
    return _present(
        {
            "Name": parameter.name,
            "Type": parameter.parameter_type,
            "Value": parameter.value,
            "Description": parameter.description,
            "AllowedPattern": parameter.allowed_pattern,
            "DataType": parameter.data_type,
            "Tier": parameter.tier or "Standard",
            "Tags": tags,
        }
    )


def iam_role(account: str, region: str, name: str) -> dict[str, Any] | None:
    """``AWS::IAM::Role`` as ``GetRole``, ``ListRolePolicies``/``GetRolePolicy`` and
    ``ListAttachedRolePolicies`` show it."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    try:
        role = iam_backends[account][get_partition(region)].get_role(name)
    except NotFoundException:
        return None
    policies = [
        {"PolicyName": policy_name, "PolicyDocument": _document(document)}
        for policy_name, document in role.policies.items()
    ]
    return _present(
        {
            "RoleName": role.name,
            "Path": role.path,
            "Description": role.description or None,
            "MaxSessionDuration": role.max_session_duration,
            "AssumeRolePolicyDocument": _document(role.assume_role_policy_document),
            "Policies": policies,
            "ManagedPolicyArns": list(role.managed_policies),
            "PermissionsBoundary": role.permissions_boundary_arn or None,
            "Tags": _tag_list(role.tags),
        }
    )


def s3_bucket(account: str, region: str, name: str) -> dict[str, Any] | None:
    """``AWS::S3::Bucket``: its name and tags (moto does not apply the other settings CloudFormation gives)."""
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    backend = s3_backends[account][get_partition(region)]
    if name not in backend.buckets:
        return None
    return _present({"BucketName": name, "Tags": _tag_list(backend.get_bucket_tagging(name).get("Tags"))})


# Resource types whose drift is detected; any other type is NOT_CHECKED, as AWS has it for unsupported types.
TYPES: dict[str, DriftType] = {
    "AWS::Lambda::Function": DriftType(
        lambda_function,
        frozenset(
            {"FunctionName", "Description", "Handler", "Runtime", "MemorySize", "Timeout", "Role", "Environment"}
        ),
        write_only=frozenset({"Code"}),
    ),
    "AWS::SSM::Parameter": DriftType(
        ssm_parameter,
        frozenset({"Name", "Type", "Value", "Description", "AllowedPattern", "DataType", "Tier", "Tags"}),
    ),
    "AWS::IAM::Role": DriftType(
        iam_role,
        frozenset(
            {
                "RoleName",
                "Path",
                "Description",
                "MaxSessionDuration",
                "AssumeRolePolicyDocument",
                "Policies",
                "ManagedPolicyArns",
                "PermissionsBoundary",
                "Tags",
            }
        ),
        unordered={"Policies": "PolicyName", "ManagedPolicyArns": None, "Tags": "Key"},
    ),
    "AWS::S3::Bucket": DriftType(s3_bucket, frozenset({"BucketName", "Tags"}), unordered={"Tags": "Key"}),
}
