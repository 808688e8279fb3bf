"""Build, in the local AWS, the AWS Organization a manifest's ``organizations`` entries select accounts from.

For every entry: its OU path, two member accounts under it carrying the entry's tags, and (when the entry has
tags) one more account without them, which must never be selected. Idempotent: accounts are found by name.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from flightdeck.aws.organizations import ORGANIZATIONS_REGION
from flightdeck.aws.session import AccountSession
from flightdeck.manifest import discover_manifests, load_manifest
from flightdeck.plan import ReleasePlan, build_plan
from scripts.seed_demo import account_owner_session

MEMBERS_PER_ENTRY = 2


@dataclass(frozen=True)
class MemberAccount:
    """An account to create: its name, where it goes, and its tags."""

    name: str
    ou_path: str
    tags: tuple[tuple[str, str], ...]


def member_accounts(plan: ReleasePlan) -> list[MemberAccount]:
    """The accounts the demo organization gets for ``plan``'s entries, in order."""
    members = []
    for environment in plan.environments:
        for index, selector in enumerate(environment.selectors):
            ou_path = selector.ou_path or "/Root"
            prefix = f"{plan.application}-{environment.name}-{index}"
            members += [MemberAccount(f"{prefix}-{n}", ou_path, selector.tags) for n in range(MEMBERS_PER_ENTRY)]
            if selector.tags:
                members.append(MemberAccount(f"{prefix}-untagged", ou_path, ()))
    return members


def ensure_organization(session: AccountSession, members: list[MemberAccount]) -> dict[str, str]:
    """Create the organization, OUs and accounts that do not exist yet; returns account name → id."""
    client = session.client("organizations")
    try:
        client.describe_organization()
    except client.exceptions.AWSOrganizationsNotInUseException:
        client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]
    existing = {account["Name"]: account["Id"] for account in client.list_accounts()["Accounts"]}
    for member in members:
        if member.name in existing:
            continue
        status = client.create_account(
            Email=f"{member.name}@example.com",
            AccountName=member.name,
            Tags=[{"Key": key, "Value": value} for key, value in member.tags],
        )["CreateAccountStatus"]
        account_id = status["AccountId"]
        parent = _ensure_ou(client, root, member.ou_path)
        if parent != root:
            client.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
        existing[member.name] = account_id
    return existing


def _ensure_ou(client, root: str, ou_path: str) -> str:
    parent = root
    for name in [part for part in ou_path.split("/") if part][1:]:
        children = client.list_organizational_units_for_parent(ParentId=parent)["OrganizationalUnits"]
        found = next((ou["Id"] for ou in children if ou["Name"] == name), None)
        if found is None:
            found = client.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]
        parent = found
    return parent


def management_session(plan: ReleasePlan) -> AccountSession:
    """An administrator of ``plan``'s management account."""
    assert plan.organizations is not None
    return account_owner_session(plan.organizations.management_account, ORGANIZATIONS_REGION)


def seed(manifests_dir: Path) -> None:
    for path in discover_manifests(manifests_dir):
        plan = build_plan(load_manifest(path))
        if plan.organizations is None:
            continue
        accounts = ensure_organization(management_session(plan), member_accounts(plan))
        for name, account_id in sorted(accounts.items()):
            print(f"organization of {plan.organizations.management_account}: {name} {account_id}")


if __name__ == "__main__":
    seed(Path(sys.argv[1]))
