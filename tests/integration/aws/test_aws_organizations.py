"""Accounts selected from AWS Organizations through the management account's reader role."""

from __future__ import annotations

import pytest
from aws_helpers import EXTERNAL_ID, ORCHESTRATOR, admin_session

from flightdeck.aws.bootstrap import ORGANIZATIONS_STACK_NAME, bootstrap_organizations_reader
from flightdeck.aws.organizations import ORGANIZATIONS_REGION, select_accounts
from flightdeck.aws.session import AccountSession, assume_role
from flightdeck.errors import FlightdeckError
from scripts.demo_organization import MemberAccount, ensure_organization

pytestmark = pytest.mark.integration

MANAGEMENT = "100000000000"
MEMBERS = [
    MemberAccount("web-1", "/Root/Workloads/Prod", (("team", "web"),)),
    MemberAccount("web-2", "/Root/Workloads/Prod/Eu", (("team", "web"), ("tier", "gold"))),
    MemberAccount("api-1", "/Root/Workloads/Prod", (("team", "api"),)),
    MemberAccount("dev-1", "/Root/Workloads/Dev", (("team", "web"),)),
    MemberAccount("sandbox", "/Root", ()),
]


@pytest.fixture
def organization(local_aws: str) -> dict[str, str]:
    """The organization of MANAGEMENT with MEMBERS; account name → id."""
    return ensure_organization(admin_session(MANAGEMENT, ORGANIZATIONS_REGION), MEMBERS)


@pytest.fixture
def reader(organization: dict[str, str]) -> AccountSession:
    """The orchestrator acting through the bootstrapped reader role of the management account."""
    admin = admin_session(MANAGEMENT, ORGANIZATIONS_REGION)
    stack = bootstrap_organizations_reader(admin, orchestrator_principal_arn=ORCHESTRATOR, external_id=EXTERNAL_ID)
    assert (stack.name, stack.status) == (ORGANIZATIONS_STACK_NAME, "CREATE_COMPLETE")
    assert stack.outputs == {"RoleArn": f"arn:aws:iam::{MANAGEMENT}:role/FlightdeckOrganizationsReader"}
    return assume_role(
        aws_conn_id=None,
        role_arn=stack.outputs["RoleArn"],
        region=ORGANIZATIONS_REGION,
        session_name="flightdeck-tests",
        external_id=EXTERNAL_ID,
    )


def _ids(organization: dict[str, str], *names: str) -> list[str]:
    return sorted(organization[name] for name in names)


def test_ou_path_selects_its_accounts_and_those_of_child_ous(reader: AccountSession, organization) -> None:
    chosen = select_accounts(reader, ou_path="/Root/Workloads/Prod", tags={}, exclude=())
    assert chosen == _ids(organization, "web-1", "web-2", "api-1")


def test_tags_must_all_match(reader: AccountSession, organization) -> None:
    assert select_accounts(reader, ou_path="/Root/Workloads", tags={"team": "web"}, exclude=()) == _ids(
        organization, "web-1", "web-2", "dev-1"
    )
    assert select_accounts(reader, ou_path="", tags={"team": "web", "tier": "gold"}, exclude=()) == _ids(
        organization, "web-2"
    )


def test_excluded_accounts_are_never_selected(reader: AccountSession, organization) -> None:
    excluded = organization["web-1"]
    chosen = select_accounts(reader, ou_path="/Root/Workloads/Prod", tags={"team": "web"}, exclude=(excluded,))
    assert chosen == _ids(organization, "web-2")


def test_unknown_ou_names_what_exists(reader: AccountSession) -> None:
    with pytest.raises(FlightdeckError) as info:
        select_accounts(reader, ou_path="/Root/Workloads/Prd", tags={}, exclude=())
    assert str(info.value).startswith(
        "AWS Organizations has no OU 'Prd' under /Root/Workloads (its OUs: Dev, Prod): fix ou_path /Root/Workloads/Prd"
    )


def test_account_outside_any_organization_is_told_so(local_aws: str) -> None:
    outsider = admin_session("200000000000", ORGANIZATIONS_REGION)
    with pytest.raises(FlightdeckError) as info:
        select_accounts(outsider, ou_path="/Root", tags={}, exclude=())
    assert "account 200000000000 is not in an AWS Organization" in str(info.value)


def test_demo_organization_is_created_once(organization: dict[str, str]) -> None:
    again = ensure_organization(admin_session(MANAGEMENT, ORGANIZATIONS_REGION), MEMBERS)
    assert again == organization
    assert len(set(organization.values())) == len(MEMBERS) + 1  # and the management account itself
