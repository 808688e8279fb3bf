"""Tests of account entries: Organizations selectors, per-account deploy roles, sessions, region parameters."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from manifest_samples import BASE, replace

from flightdeck.errors import ManifestIssue
from flightdeck.manifest import AccountTarget, OrganizationsTarget, load_manifest

IssueOf = Callable[[str], ManifestIssue]
IssuesOf = Callable[[str], list[ManifestIssue]]

ROLE = (
    "deploy_role:\n  name: flightdeck-deploy\n  execution_role: flightdeck-cfn-exec\n  external_id: flightdeck-demo\n"
)
SELECTOR = (
    '      - organizations: {ou_path: /Root/Workloads/Prod, tags: {team: web}, exclude: ["222222222222"]}\n'
    "        regions: [us-east-1]\n"
)
ORGANIZATIONS = 'organizations: {management_account: "999999999999", external_id: org-reader}\n'


def test_organizations_entry_selects_accounts_at_run_time(write_manifest) -> None:
    manifest = load_manifest(write_manifest(BASE + SELECTOR + ORGANIZATIONS))
    [(index, selector)] = manifest.environments[0].selectors
    assert index == 1
    assert isinstance(selector, OrganizationsTarget)
    selection = selector.organizations
    assert (selection.ou_path, selection.tags, selection.exclude) == (
        "/Root/Workloads/Prod",
        {"team": "web"},
        ("222222222222",),
    )
    assert selector.regions == ("us-east-1",)
    assert [type(entry) for _, entry in manifest.environments[0].listed_accounts] == [AccountTarget]
    assert manifest.environments[0].static_targets == (("111111111111", "eu-west-1"),)
    access = manifest.organizations
    assert access is not None
    assert (access.management_account, access.role, access.external_id) == (
        "999999999999",
        "FlightdeckOrganizationsReader",
        "org-reader",
    )


def test_selecting_accounts_needs_the_management_accounts_role(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + SELECTOR)
    assert (issue.line, issue.column, issue.field) == (17, 9, "environments[0].accounts[1].organizations")
    assert issue.message == (
        "environment dev selects accounts from AWS Organizations, but the manifest does not say how to read it: add "
        "a top-level organizations: {management_account: '<12-digit id>'} (and role: if not "
        "FlightdeckOrganizationsReader)"
    )


def test_two_selectors_of_an_environment_share_no_region(issue_of: IssueOf) -> None:
    other = "      - organizations: {tags: {team: api}}\n        regions: [eu-west-1, us-east-1]\n"
    issue = issue_of(BASE + SELECTOR + other + ORGANIZATIONS)
    assert (issue.line, issue.field) == (20, "environments[0].accounts[2].regions[1]")
    assert issue.message == (
        "entries 1 and 2 of environment dev both select accounts in us-east-1: an account both select would get two "
        "stacks; select each region's accounts with one entry"
    )


def test_organizations_role_must_be_a_role(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + SELECTOR + 'organizations: {management_account: "999999999999", role: "no such role"}\n')
    assert issue.field == "organizations.role"
    assert "role name 'no such role' is not valid" in issue.message


def test_entry_without_id_or_organizations(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + "      - regions: [us-east-1]\n")
    assert (issue.line, issue.column, issue.field) == (17, 9, "environments[0].accounts[1]")
    assert issue.message.startswith("an accounts entry needs id (a 12-digit account id, in quotes) or organizations")


def test_entry_with_both_id_and_organizations(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + "        organizations: {ou_path: /Root}\n")
    assert (issue.line, issue.column, issue.field) == (15, 9, "environments[0].accounts[0].id")
    assert "either id (one account) or organizations (accounts selected at run time), not both" in issue.message


def test_selector_must_narrow_the_organization(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + '      - organizations: {exclude: ["222222222222"]}\n        regions: [us-east-1]\n')
    assert (issue.line, issue.field) == (17, "environments[0].accounts[1].organizations")
    assert "give ou_path or tags (or both): selecting every account of the organization is not allowed" in issue.message


@pytest.mark.parametrize("ou_path", ["Workloads/Prod", "/Root/", "/Workloads"])
def test_ou_path_starts_at_root(issue_of: IssueOf, ou_path: str) -> None:
    issue = issue_of(BASE + f"      - organizations: {{ou_path: {ou_path}}}\n        regions: [us-east-1]\n")
    assert (issue.line, issue.column, issue.field) == (17, 34, "environments[0].accounts[1].organizations.ou_path")
    assert "a path of OU names from /Root, like /Root/Workloads/Prod" in issue.message


def test_excluded_account_written_as_a_number(issue_of: IssueOf) -> None:
    issue = issue_of(
        BASE + "      - organizations: {tags: {a: b}, exclude: [222222222222]}\n        regions: [us-east-1]\n"
    )
    assert issue.field == "environments[0].accounts[1].organizations.exclude[0]"
    assert 'quote it, id: "222222222222"' in issue.message


def test_selected_accounts_have_no_region_parameters(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + SELECTOR + "        region_parameters: {}\n")
    assert (issue.line, issue.column, issue.field) == (19, 9, "environments[0].accounts[1].region_parameters")
    assert issue.message.startswith("region_parameters is for accounts listed by id; for accounts selected at run")


def test_unknown_key_of_a_selector_lists_its_keys(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + SELECTOR + "        zone: a\n")
    assert (issue.line, issue.column, issue.field) == (19, 9, "environments[0].accounts[1].zone")
    assert "valid keys here: deploy_role, organizations, parameters, regions" in issue.message


def test_account_deploy_role_overrides_the_environment(write_manifest) -> None:
    account_role = "        deploy_role: {name: own, execution_role: own-exec, external_id: own-ext}\n"
    manifest = load_manifest(
        write_manifest(BASE + account_role + '      - id: "222222222222"\n        regions: [eu-west-1]\n')
    )
    env = manifest.environments[0]
    assert manifest.deploy_role_for(env, env.accounts[0]).name == "own"
    assert manifest.deploy_role_for(env, env.accounts[1]).name == "flightdeck-deploy"
    assert manifest.deploy_role_for(env).name == "flightdeck-deploy"


def test_account_without_any_deploy_role(issue_of: IssueOf) -> None:
    text = replace(ROLE, "") + "        deploy_role: {name: own, execution_role: own-exec, external_id: own-ext}\n"
    issue = issue_of(text + '      - id: "222222222222"\n        regions: [eu-west-1]\n')
    assert (issue.line, issue.column, issue.field) == (14, 9, "environments[0].accounts[1]")
    assert "this account entry has no deploy_role, and neither has its environment nor the top level" in issue.message


def test_session_duration_defaults_to_an_hour(write_manifest) -> None:
    manifest = load_manifest(write_manifest(BASE))
    assert manifest.deploy_role.session_duration_seconds == 3600


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        ("14m", "session_duration 14m is outside 15m to 12h, what STS allows for an assumed role"),
        ("13h", "session_duration 13h is outside 15m to 12h"),
        ("1 h", "duration '1 h' is not valid: write a whole number and a unit, like 30m, 24h or 7d"),
    ],
)
def test_session_duration_range(issue_of: IssueOf, duration: str, message: str) -> None:
    issue = issue_of(
        replace("  external_id: flightdeck-demo\n", f"  external_id: flightdeck-demo\n  session_duration: {duration}\n")
    )
    assert (issue.line, issue.column, issue.field) == (8, 21, "deploy_role.session_duration")
    assert message in issue.message


def test_region_parameters(write_manifest) -> None:
    text = replace(
        "regions: [eu-west-1]\n",
        "regions: [eu-west-1, us-east-1]\n        region_parameters:\n          us-east-1: {LogLevel: DEBUG}\n",
    )
    manifest = load_manifest(write_manifest(text))
    env = manifest.environments[0]
    [account] = env.accounts
    assert [dict(layer) for _, layer in manifest.parameter_layers(env, account, "us-east-1")][-1] == {
        "LogLevel": account.region_parameters["us-east-1"]["LogLevel"]
    }
    assert manifest.parameter_layers(env, account, "eu-west-1")[-1] == ("region", {})


def test_region_parameters_of_a_region_the_account_does_not_deploy_to(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + "        region_parameters:\n          us-east-1: {LogLevel: DEBUG}\n")
    assert (issue.line, issue.column, issue.field) == (
        18,
        11,
        "environments[0].accounts[0].region_parameters.us-east-1",
    )
    assert issue.message == (
        "region_parameters names us-east-1, which is not one of this account's regions (eu-west-1): add it to "
        "regions or remove its parameters"
    )


def test_region_parameters_of_an_unknown_region(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + "        region_parameters:\n          eu-west-9: {LogLevel: DEBUG}\n")
    assert (issue.line, issue.column, issue.field) == (
        18,
        11,
        "environments[0].accounts[0].region_parameters.eu-west-9",
    )
    assert "unknown AWS region 'eu-west-9'" in issue.message


def test_stack_name_checked_for_selected_accounts(issue_of: IssueOf) -> None:
    text = replace('      - id: "111111111111"\n        regions: [eu-west-1]\n', SELECTOR)
    issue = issue_of(text + 'stack_name: "{account_id}-{application}"\n' + ORGANIZATIONS)
    assert (issue.line, issue.field) == (17, "stack_name")
    assert "'123456789012-hello' is not valid" in issue.message
    assert "for the accounts environment dev selects at run time" in issue.message


def test_required_parameter_missing_for_selected_accounts(issue_of: IssueOf) -> None:
    text = replace("  Greeting: ssm:/flightdeck/hello/greeting\n", "")
    text = replace("regions: [eu-west-1]\n", "regions: [eu-west-1]\n        parameters: {Greeting: hi}\n", text)
    issue = issue_of(text + SELECTOR + ORGANIZATIONS)
    assert (issue.line, issue.column, issue.field) == (17, 24, "environments[0].accounts[1].organizations")
    assert issue.message == (
        "template parameter Greeting has no Default and no value for environment dev, the accounts selected from AWS "
        "Organizations: add it to this entry's, the environment's or the top-level parameters"
    )


def test_required_parameter_missing_in_one_region(issue_of: IssueOf) -> None:
    text = replace("  Greeting: ssm:/flightdeck/hello/greeting\n", "")
    text = replace(
        "regions: [eu-west-1]\n",
        "regions: [eu-west-1, us-east-1]\n        region_parameters:\n          eu-west-1: {Greeting: hi}\n",
        text,
    )
    issue = issue_of(text)
    assert (issue.line, issue.column, issue.field) == (15, 30, "environments[0].accounts[0].regions[1]")
    assert (
        "no value for environment dev, account 111111111111 in us-east-1: add it to this account's region_parameters"
        in issue.message
    )


def test_undeclared_parameter_in_region_parameters(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + "        region_parameters:\n          eu-west-1: {Colour: blue}\n")
    assert (issue.line, issue.column, issue.field) == (
        18,
        23,
        "environments[0].accounts[0].region_parameters.eu-west-1.Colour",
    )
    assert "parameter 'Colour' is not declared in the template's Parameters" in issue.message
