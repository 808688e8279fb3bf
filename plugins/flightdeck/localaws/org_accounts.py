"""Accounts created through Organizations: their access role has administrator permissions, as on AWS.

moto creates ``OrganizationAccountAccessRole`` (or the ``RoleName`` asked for) with a trust policy only; AWS gives
it full administrator permissions with an inline policy named ``AdministratorAccess``. Once IAM is enforced for
roles that exist (``iam_enforcement``), a role without it could do nothing.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from moto.iam.models import iam_backends
from moto.organizations.models import OrganizationsBackend

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
POLICY_NAME = "AdministratorAccess"
ADMINISTRATOR_ACCESS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def _grant_administrator(create_account: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(create_account)
    def create(self: OrganizationsBackend, **kwargs: Any) -> dict[str, Any]:
        status = create_account(self, **kwargs)
        account_id = status["CreateAccountStatus"]["AccountId"]
        role_name = kwargs.get("RoleName") or DEFAULT_ROLE_NAME
        iam_backends[account_id][self.partition].put_role_policy(role_name, POLICY_NAME, ADMINISTRATOR_ACCESS)
        return status

    create._flightdeck = True  # type: ignore[attr-defined]
    return create


def apply() -> None:
    """Give the access role of every account Organizations creates its ``AdministratorAccess`` policy."""
    if getattr(OrganizationsBackend.create_account, "_flightdeck", False):
        return
    OrganizationsBackend.create_account = _grant_administrator(OrganizationsBackend.create_account)  # type: ignore[method-assign]
