"""A CloudFormation update of an ``AWS::IAM::Role`` changes the role, as on AWS.

moto's ``Role.update_from_cloudformation_json`` sets the description only (and the session duration from the wrong
property): a changed trust policy, inline policy, managed policy or tag never reaches the role. With IAM enforced
for roles that exist (``iam_enforcement``), a bootstrap update that widens the deploy role's policy (a second
application's stacks) would leave the role as narrow as before.
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam.models import Role, iam_backends
from moto.utilities.utils import get_partition


def _text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def _update(
    cls: type[Role],
    *,
    original_resource: Role,
    new_resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> Role:
    backend = iam_backends[account_id][get_partition(region_name)]
    properties = cloudformation_json["Properties"]
    name = original_resource.name
    role = backend.update_role(name, properties.get("Description", ""), properties.get("MaxSessionDuration", 3600))
    # As moto's create does (no document validation: AWS accepts policies without a Version, its validator not).
    role.assume_role_policy_document = _text(properties["AssumeRolePolicyDocument"])
    wanted = {policy["PolicyName"]: policy["PolicyDocument"] for policy in properties.get("Policies", [])}
    for policy_name in set(role.policies) - set(wanted):
        role.delete_policy(policy_name)
    for policy_name, document in wanted.items():
        role.put_policy(policy_name, document)
    attached = set(role.managed_policies)
    arns = set(properties.get("ManagedPolicyArns", []))
    for arn in attached - arns:
        backend.detach_role_policy(arn, name)
    for arn in arns - attached:
        backend.attach_role_policy(arn, name)
    tags = list(properties.get("Tags", []))
    gone = [tag["Key"] for tag in role.tags if tag["Key"] not in {t["Key"] for t in tags}]
    if gone:
        backend.untag_role(name, gone)
    if tags:
        backend.tag_role(name, tags)
    return role


def apply() -> None:
    """Make role updates through CloudFormation apply every property Flightdeck's templates use."""
    if getattr(Role.update_from_cloudformation_json, "_flightdeck", False):
        return
    _update._flightdeck = True  # type: ignore[attr-defined]
    Role.update_from_cloudformation_json = classmethod(_update)  # type: ignore[method-assign,assignment]
