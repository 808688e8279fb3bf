"""Managed policies of roles as on AWS: AWS managed ones attach, and CloudFormation applies ``ManagedPolicyArns``.

moto knows AWS managed policies only with ``MOTO_IAM_LOAD_MANAGED_POLICIES`` (over a thousand per account, loaded
up front), so attaching ``arn:aws:iam::aws:policy/...`` is ``NoSuchEntity``. Its ``AWS::IAM::Role`` ignores
``ManagedPolicyArns`` on create (the hello app's function role had none: drift detection reported it) and, on
delete, leaves attached policies, which makes the delete fail (``DeleteConflict``) once they are attached.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.iam.models import AWSManagedPolicy, IAMBackend, Role, iam_backends
from moto.utilities.utils import get_partition


@functools.cache
def _aws_managed_policies() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return dict(json.loads(aws_managed_policies_data))


def load_aws_managed_policy(backend: IAMBackend, arn: str) -> None:
    """Make an AWS managed policy known to the account's IAM, as moto does for all of them with its setting on."""
    if arn in backend.managed_policies or ":iam::aws:policy/" not in arn:
        return
    name = arn.rsplit("/", 1)[-1]
    data = _aws_managed_policies().get(name)
    if data is None:
        return  # not an AWS managed policy moto knows: attaching it fails as before
    policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
    if policy.arn == arn:
        backend.managed_policies[arn] = policy


def _detach_all(backend: IAMBackend, role_name: str) -> None:
    for role in list(backend.roles.values()):
        if role.name == role_name:
            for arn in list(role.managed_policies):
                backend.detach_role_policy(arn, role_name)


def apply() -> None:
    """Load AWS managed policies when attached; attach and detach a CloudFormation role's ``ManagedPolicyArns``."""
    if getattr(IAMBackend.attach_role_policy, "_flightdeck", False):
        return
    attach_role_policy = IAMBackend.attach_role_policy
    create = Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    delete = Role.delete_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    @functools.wraps(attach_role_policy)
    def _attach_role_policy(self: IAMBackend, policy_arn: str, role_name: str) -> None:
        load_aws_managed_policy(self, policy_arn)
        attach_role_policy(self, policy_arn, role_name)

    def _create(
        cls: type[Role],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Role:
        role = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        backend = iam_backends[account_id][get_partition(region_name)]
        try:
            for arn in cloudformation_json["Properties"].get("ManagedPolicyArns") or []:
                backend.attach_role_policy(arn, role.name)
        except Exception:
            _delete(cls, role.name, cloudformation_json, account_id, region_name)  # the role fails as a whole
            raise
        return role

    def _delete(
        cls: type[Role], resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        _detach_all(iam_backends[account_id][get_partition(region_name)], resource_name)
        delete(cls, resource_name, cloudformation_json, account_id, region_name)

    _attach_role_policy._flightdeck = True  # type: ignore[attr-defined]
    IAMBackend.attach_role_policy = _attach_role_policy  # type: ignore[method-assign]
    Role.create_from_cloudformation_json = classmethod(_create)  # type: ignore[method-assign,assignment]
    Role.delete_from_cloudformation_json = classmethod(_delete)  # type: ignore[method-assign,assignment]
