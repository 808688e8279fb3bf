"""IAM broadening: new identities, policies that allow more, trust and resource policies that open up."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from flightdeck.changes.models import Flag, FlagKind, ResourceChange
from flightdeck.changes.policies import widenings
from flightdeck.changes.templates import is_function, shown

# Creating one of these is a broadening whatever it allows.
IDENTITY_TYPES = {
    "AWS::IAM::Role": "IAM role",
    "AWS::IAM::User": "IAM user",
    "AWS::IAM::Group": "IAM group",
    "AWS::IAM::InstanceProfile": "instance profile",
    "AWS::IAM::AccessKey": "IAM access key",
}

# Properties holding a policy document: identity policies, trust policies and resource policies.
DOCUMENT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::IAM::Role": ("AssumeRolePolicyDocument",),
    "AWS::IAM::Policy": ("PolicyDocument",),
    "AWS::IAM::ManagedPolicy": ("PolicyDocument",),
    "AWS::IAM::RolePolicy": ("PolicyDocument",),
    "AWS::IAM::UserPolicy": ("PolicyDocument",),
    "AWS::IAM::GroupPolicy": ("PolicyDocument",),
    "AWS::S3::BucketPolicy": ("PolicyDocument",),
    "AWS::S3::AccessPoint": ("Policy",),
    "AWS::SQS::QueuePolicy": ("PolicyDocument",),
    "AWS::SQS::QueueInlinePolicy": ("PolicyDocument",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument",),
    "AWS::SNS::TopicInlinePolicy": ("PolicyDocument",),
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::SecretsManager::ResourcePolicy": ("ResourcePolicy",),
    "AWS::ECR::Repository": ("RepositoryPolicyText",),
    "AWS::Logs::ResourcePolicy": ("PolicyDocument",),
    "AWS::EFS::FileSystem": ("FileSystemPolicy",),
    "AWS::OpenSearchService::Domain": ("AccessPolicies",),
    "AWS::Elasticsearch::Domain": ("AccessPolicies",),
    "AWS::ApiGateway::RestApi": ("Policy",),
    "AWS::Backup::BackupVault": ("AccessPolicy",),
}

# Identities with inline ``Policies`` (a list of ``PolicyName`` and ``PolicyDocument``), compared as one document.
INLINE_POLICY_TYPES = frozenset({"AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"})

# Lists whose new entries grant more: managed policies attached, identities a policy is attached to.
ATTACHMENT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::IAM::Role": ("ManagedPolicyArns",),
    "AWS::IAM::User": ("ManagedPolicyArns", "Groups"),
    "AWS::IAM::Group": ("ManagedPolicyArns",),
    "AWS::IAM::Policy": ("Roles", "Users", "Groups"),
    "AWS::IAM::ManagedPolicy": ("Roles", "Users", "Groups"),
    "AWS::IAM::InstanceProfile": ("Roles",),
}

# Permissions given as properties: (what grants, what restricts). A new one, a change of the first or a removal
# or change of the second broadens.
GRANT_PROPERTIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "AWS::Lambda::Permission": (
        ("Action", "FunctionName", "Principal", "FunctionUrlAuthType"),
        ("SourceArn", "SourceAccount", "PrincipalOrgID", "EventSourceToken"),
    ),
    "AWS::Lambda::LayerVersionPermission": (("Action", "LayerVersionArn", "Principal"), ("OrganizationId",)),
    "AWS::Events::EventBusPolicy": (("Action", "Principal", "Statement", "EventBusName"), ("Condition",)),
}

_LABELS = {
    "AssumeRolePolicyDocument": "trust policy",
    "KeyPolicy": "key policy",
    "PolicyDocument": "policy",
    "ResourcePolicy": "resource policy",
    "RepositoryPolicyText": "repository policy",
    "FileSystemPolicy": "file system policy",
    "AccessPolicies": "access policy",
    "AccessPolicy": "access policy",
    "Policy": "policy",
}
_PUBLIC_ACCESS_BLOCKS = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")


def iam_flags(
    changes: Iterable[ResourceChange],
    old: Mapping[str, Mapping[str, Any]],
    new: Mapping[str, Mapping[str, Any]],
) -> list[Flag]:
    """A flag for each changed resource that grants more than before."""
    flags = []
    for change in changes:
        reasons = broadenings(old.get(change.logical_id), new.get(change.logical_id))
        if reasons:
            message = f"`{change.logical_id}` ({change.resource_type}): {'; '.join(reasons)}."
            flags.append(Flag(FlagKind.IAM_BROADENED, change.logical_id, change.resource_type, message))
    return flags


def broadenings(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    """What resource definition ``after`` grants beyond ``before`` (``None``: the resource is new or removed)."""
    if before is not None and after is not None and before.get("Type") != after.get("Type"):
        return broadenings(before, None) + broadenings(None, after)
    resource_type = str((after or before or {}).get("Type", ""))
    old, new = (before or {}).get("Properties") or {}, (after or {}).get("Properties") or {}
    reasons = []
    if before is None and resource_type in IDENTITY_TYPES:
        reasons.append(f"new {IDENTITY_TYPES[resource_type]}")
    for name in DOCUMENT_PROPERTIES.get(resource_type, ()):
        label = _LABELS.get(name, name)
        reasons += [f"{label}: {reason}" for reason in widenings(old.get(name), new.get(name))]
    if resource_type in INLINE_POLICY_TYPES:
        reasons += [f"inline policies: {reason}" for reason in widenings(_inline(old), _inline(new))]
    if after is None:  # a removal grants nothing more, unless it takes Deny statements with it (above)
        return reasons
    for name in ATTACHMENT_PROPERTIES.get(resource_type, ()):
        added = sorted(set(_items(new.get(name))) - set(_items(old.get(name))))
        if added:
            reasons.append(f"{name} adds {', '.join(added)}")
    if "PermissionsBoundary" in old and old.get("PermissionsBoundary") != new.get("PermissionsBoundary"):
        reasons.append(f"permissions boundary {'changed' if 'PermissionsBoundary' in new else 'removed'}")
    if resource_type in GRANT_PROPERTIES:
        reasons += _grant_changes(resource_type, before is None, old, new)
    if resource_type == "AWS::S3::Bucket" and before is not None:
        reasons += _public_access_relaxed(old, new)
    return reasons


def _inline(properties: Mapping[str, Any]) -> Any:
    """The inline ``Policies`` of an identity as one document (their union is what it may do).

    A policy that cannot be read becomes one opaque statement, compared as a whole.
    """
    policies = properties.get("Policies")
    if not isinstance(policies, list):
        return policies
    statements: list[Any] = []
    for policy in policies:
        document = policy.get("PolicyDocument") if isinstance(policy, dict) else policy
        if isinstance(document, str):
            with contextlib.suppress(ValueError):
                document = json.loads(document)
        body = document.get("Statement") if isinstance(document, dict) and not is_function(document) else None
        if body is None:
            statements.append(document)
        else:
            statements += body if isinstance(body, list) else [body]
    return {"Statement": statements}


def _grant_changes(resource_type: str, is_new: bool, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    grants, limits = GRANT_PROPERTIES[resource_type]
    if is_new:
        granted = ", ".join(f"{name} {_shown(new[name])}" for name in grants if name in new)
        return [f"new permission: {granted}"]
    changed = [f"{name} becomes {_shown(new.get(name))}" for name in grants if old.get(name) != new.get(name)]
    loosened = [
        f"{name} {'changed' if name in new else 'removed'}"
        for name in limits
        if name in old and old[name] != new.get(name)
    ]
    return changed + loosened


def _public_access_relaxed(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    before = old.get("PublicAccessBlockConfiguration") or {}
    after = new.get("PublicAccessBlockConfiguration") or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    relaxed = [name for name in _PUBLIC_ACCESS_BLOCKS if _true(before.get(name)) and not _true(after.get(name))]
    return [f"public access block relaxed ({', '.join(relaxed)} no longer true)"] if relaxed else []


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _items(value: Any) -> list[str]:
    if value is None:
        return []
    return [shown(item) for item in (value if isinstance(value, list) else [value])]


def _shown(value: Any) -> str:
    return "(none)" if value is None else shown(value)
