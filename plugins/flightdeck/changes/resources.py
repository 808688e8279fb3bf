"""Resources compared between two templates; replacement inferred; stateful resources at risk flagged."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flightdeck.changes.models import Flag, FlagKind, ResourceChange
from flightdeck.changes.templates import is_intrinsic

# Resources that hold data (or keys to it): deleting or replacing one loses what it holds.
STATEFUL_TYPES = frozenset(
    {
        "AWS::Cognito::UserPool",
        "AWS::DocDB::DBCluster",
        "AWS::DocDB::DBInstance",
        "AWS::DynamoDB::GlobalTable",
        "AWS::DynamoDB::Table",
        "AWS::EC2::Volume",
        "AWS::ECR::Repository",
        "AWS::EFS::FileSystem",
        "AWS::ElastiCache::CacheCluster",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::ElastiCache::ServerlessCache",
        "AWS::Elasticsearch::Domain",
        "AWS::Kinesis::Stream",
        "AWS::KMS::Key",
        "AWS::Logs::LogGroup",
        "AWS::Neptune::DBCluster",
        "AWS::Neptune::DBInstance",
        "AWS::OpenSearchService::Domain",
        "AWS::RDS::DBCluster",
        "AWS::RDS::DBInstance",
        "AWS::Redshift::Cluster",
        "AWS::S3::Bucket",
        "AWS::SecretsManager::Secret",
        "AWS::SQS::Queue",
    }
)

# Properties whose change replaces the resource ("Update requires: Replacement" in the CloudFormation resource
# reference). A selection of common ones: a property not listed here is taken not to replace, and CloudFormation's
# own Replacement, when the change set gives one, always wins.
REPLACEMENT_PROPERTIES: dict[str, frozenset[str]] = {
    "AWS::DynamoDB::Table": frozenset({"TableName", "KeySchema", "LocalSecondaryIndexes"}),
    "AWS::DynamoDB::GlobalTable": frozenset({"TableName", "KeySchema", "LocalSecondaryIndexes"}),
    "AWS::S3::Bucket": frozenset({"BucketName"}),
    "AWS::RDS::DBInstance": frozenset(
        {
            "DBInstanceIdentifier",
            "Engine",
            "DBName",
            "MasterUsername",
            "StorageEncrypted",
            "KmsKeyId",
            "DBClusterIdentifier",
            "CharacterSetName",
            "DBSnapshotIdentifier",
            "SourceDBInstanceIdentifier",
        }
    ),
    "AWS::RDS::DBCluster": frozenset(
        {
            "DBClusterIdentifier",
            "Engine",
            "EngineMode",
            "DatabaseName",
            "MasterUsername",
            "StorageEncrypted",
            "KmsKeyId",
            "SnapshotIdentifier",
            "SourceDBClusterIdentifier",
        }
    ),
    "AWS::DocDB::DBCluster": frozenset({"DBClusterIdentifier", "MasterUsername", "StorageEncrypted", "KmsKeyId"}),
    "AWS::Neptune::DBCluster": frozenset({"DBClusterIdentifier", "StorageEncrypted", "KmsKeyId"}),
    "AWS::Redshift::Cluster": frozenset({"ClusterIdentifier", "DBName", "MasterUsername"}),
    "AWS::ElastiCache::CacheCluster": frozenset({"ClusterName", "Engine", "CacheSubnetGroupName", "Port"}),
    "AWS::ElastiCache::ReplicationGroup": frozenset({"ReplicationGroupId"}),
    "AWS::OpenSearchService::Domain": frozenset({"DomainName"}),
    "AWS::Elasticsearch::Domain": frozenset({"DomainName"}),
    "AWS::EFS::FileSystem": frozenset({"Encrypted", "KmsKeyId", "PerformanceMode", "AvailabilityZoneName"}),
    "AWS::SQS::Queue": frozenset({"QueueName", "FifoQueue"}),
    "AWS::SNS::Topic": frozenset({"TopicName", "FifoTopic"}),
    "AWS::Kinesis::Stream": frozenset({"Name"}),
    "AWS::Logs::LogGroup": frozenset({"LogGroupName", "LogGroupClass"}),
    "AWS::KMS::Key": frozenset({"KeySpec", "KeyUsage", "MultiRegion"}),
    "AWS::Cognito::UserPool": frozenset({"AliasAttributes", "UsernameAttributes"}),
    "AWS::SecretsManager::Secret": frozenset({"Name"}),
    "AWS::ECR::Repository": frozenset({"RepositoryName"}),
    "AWS::Lambda::Function": frozenset({"FunctionName", "PackageType"}),
    "AWS::IAM::Role": frozenset({"RoleName", "Path"}),
    "AWS::IAM::ManagedPolicy": frozenset({"ManagedPolicyName", "Path", "Description"}),
    "AWS::IAM::InstanceProfile": frozenset({"InstanceProfileName", "Path"}),
    "AWS::EC2::SecurityGroup": frozenset({"GroupName", "GroupDescription", "VpcId"}),
    "AWS::StepFunctions::StateMachine": frozenset({"StateMachineName", "StateMachineType"}),
    "AWS::Events::Rule": frozenset({"Name", "EventBusName"}),
}

RETAINING_POLICIES = frozenset({"Retain", "RetainExceptOnCreate", "Snapshot"})
# Resource attributes besides Properties whose change CloudFormation reports as a modification.
_COMPARED_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy", "UpdatePolicy", "CreationPolicy", "Metadata")


def compare_resources(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
) -> dict[str, ResourceChange]:
    """Resources added, removed or modified between two ``Resources`` sections, by logical id."""
    changes: dict[str, ResourceChange] = {}
    for logical_id in sorted({*old, *new}):
        before, after = old.get(logical_id), new.get(logical_id)
        if before is None and after is not None:
            changes[logical_id] = ResourceChange("Add", logical_id, str(after.get("Type", "")))
        elif after is None and before is not None:
            changes[logical_id] = ResourceChange("Remove", logical_id, str(before.get("Type", "")))
        elif before is not None and after is not None:
            change = _modification(logical_id, before, after)
            if change is not None:
                changes[logical_id] = change
    return changes


def _modification(logical_id: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> ResourceChange | None:
    old_type, new_type = str(before.get("Type", "")), str(after.get("Type", ""))
    old_props, new_props = before.get("Properties") or {}, after.get("Properties") or {}
    changed = [name for name in {*old_props, *new_props} if old_props.get(name) != new_props.get(name)]
    changed += [name for name in _COMPARED_ATTRIBUTES if before.get(name) != after.get(name)]
    if old_type == new_type and not changed:
        return None
    if old_type != new_type:
        replacement = "True"
    else:
        forcing = [name for name in changed if name in REPLACEMENT_PROPERTIES.get(new_type, ())]
        unsure = any(is_intrinsic(old_props.get(name)) or is_intrinsic(new_props.get(name)) for name in forcing)
        replacement = "False" if not forcing else "Conditional" if unsure else "True"
    return ResourceChange(
        "Modify",
        logical_id,
        new_type,
        replacement=replacement,
        properties=tuple(sorted(changed)),
        previous_type=old_type if old_type != new_type else "",
    )


def is_stateful(resource_type: str, *definitions: Mapping[str, Any] | None) -> bool:
    """A type that holds data, or a definition with a Retain or Snapshot deletion or update-replace policy."""
    return resource_type in STATEFUL_TYPES or any(
        definition.get(attribute) in RETAINING_POLICIES
        for definition in definitions
        if definition
        for attribute in ("DeletionPolicy", "UpdateReplacePolicy")
    )


def stateful_flags(
    changes: Iterable[ResourceChange],
    old: Mapping[str, Mapping[str, Any]],
    new: Mapping[str, Mapping[str, Any]],
) -> list[Flag]:
    """A flag for each stateful resource removed or (possibly) replaced."""
    flags = []
    for change in changes:
        before, after = old.get(change.logical_id), new.get(change.logical_id)
        old_type = change.previous_type or str((before or {}).get("Type") or change.resource_type)
        if not is_stateful(old_type, before, after):  # what is lost is the old resource's
            continue
        what = f"`{change.logical_id}` ({old_type})"
        if change.action == "Remove":
            flags.append(Flag(FlagKind.STATEFUL_REMOVED, change.logical_id, old_type, _removal(what, before)))
        elif change.action == "Modify" and change.replaces:
            message = _replacement(what, change, before)
            flags.append(Flag(FlagKind.STATEFUL_REPLACED, change.logical_id, old_type, message))
    return flags


def _removal(what: str, before: Mapping[str, Any] | None) -> str:
    policy = (before or {}).get("DeletionPolicy")
    if policy in ("Retain", "RetainExceptOnCreate"):
        return (
            f"{what} is removed from the stack: DeletionPolicy {policy} keeps the resource and its data, "
            "but the stack no longer manages it."
        )
    if policy == "Snapshot":
        return f"{what} is deleted after a final snapshot (DeletionPolicy Snapshot): it holds data."
    return f"{what} is deleted with its data: it is a stateful resource."


def _replacement(what: str, change: ResourceChange, before: Mapping[str, Any] | None) -> str:
    verb = "may be replaced" if change.replacement == "Conditional" else "is replaced"
    if change.previous_type:
        cause = f" (its type changes to {change.resource_type})"
    elif change.properties:
        cause = f" ({', '.join(change.properties)} changed)"
    else:
        cause = ""
    kept = (before or {}).get("UpdateReplacePolicy") in RETAINING_POLICIES
    old = "the old one is kept (UpdateReplacePolicy)" if kept else "the old one is deleted"
    return f"{what} {verb}{cause}: a new, empty resource is created and {old}; its data does not move."
