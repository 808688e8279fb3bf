"""Checks across fields of a valid manifest: deploy roles, stack names, waves, stack tags, refresh."""

from __future__ import annotations

from collections.abc import Iterator

from flightdeck import naming
from flightdeck.manifest.accounts import AccountTarget
from flightdeck.manifest.fields import did_you_mean
from flightdeck.manifest.issues import Problem
from flightdeck.manifest.models import Environment, Manifest
from flightdeck.manifest.waves import assign_waves
from flightdeck.manifest.yamlsource import DataPath, format_path

FLIGHTDECK_TAGS = (naming.APPLICATION_TAG, naming.ENVIRONMENT_TAG, naming.VERSION_TAG, naming.RUN_ID_TAG)
MAX_STACK_TAGS = 50 - len(FLIGHTDECK_TAGS)  # CloudFormation allows 50 tags per stack
SAMPLE_ACCOUNT_ID = "123456789012"  # stands for accounts selected at run time: every id has this shape


def check_manifest(manifest: Manifest) -> list[Problem]:
    """Problems no single field shows."""
    return [
        *_deploy_roles(manifest),
        *_stack_names(manifest),
        *_selected_stack_names(manifest),
        *_organizations(manifest),
        *_waves(manifest),
        *_stack_tags(manifest),
        *_refresh(manifest),
    ]


def _deploy_roles(manifest: Manifest) -> list[Problem]:
    problems = []
    for i, env in enumerate(manifest.environments):
        lacking = [j for j, entry in enumerate(env.accounts) if manifest.deploy_role_for(env, entry) is None]
        if len(lacking) == len(env.accounts):
            message = (
                f"environment {env.name} has no deploy_role: set deploy_role at the top level (the default of "
                "every environment), in this environment, or in each of its accounts"
            )
            problems.append(Problem(("environments", i, "name"), message))
            continue
        problems += [
            Problem(
                ("environments", i, "accounts", j),
                "this account entry has no deploy_role, and neither has its environment nor the top level: set one",
            )
            for j in lacking
        ]
    return problems


def _stack_names(manifest: Manifest) -> list[Problem]:
    problems = []
    seen: dict[tuple[str, str, str], tuple[str, DataPath]] = {}
    for path, env, account, region in _targets(manifest):
        try:
            name = naming.stack_name(manifest.stack_name, manifest.application, env.name, account.id, region)
        except ValueError as err:
            problems.append(Problem(("stack_name",), f"{err}; change stack_name"))
            continue
        key = (account.id, region, name)
        if key not in seen:
            seen[key] = (env.name, path)
            continue
        other_env, other_path = seen[key]
        if other_env == env.name:
            fix = f"account {account.id} is listed twice in environment {env.name}: list each region once"
        else:
            fix = "put {environment} in stack_name, or deploy these environments to different accounts"
        message = (
            f"stack {name!r} in {account.id}/{region} is already the target of {format_path(other_path)} "
            f"(environment {other_env}); {fix}"
        )
        problems.append(Problem(path, message))
    return problems


def _selected_stack_names(manifest: Manifest) -> list[Problem]:
    problems = []
    for env in manifest.environments:
        for _, selector in env.selectors:
            for region in selector.regions:
                try:
                    naming.stack_name(manifest.stack_name, manifest.application, env.name, SAMPLE_ACCOUNT_ID, region)
                except ValueError as err:
                    message = f"{err} (for the accounts environment {env.name} selects at run time); change stack_name"
                    problems.append(Problem(("stack_name",), message))
    return problems


def _organizations(manifest: Manifest) -> list[Problem]:
    """Selectors need the management account's role; two selectors of one environment never share a region."""
    problems = []
    for i, env in enumerate(manifest.environments):
        owner: dict[str, int] = {}
        for j, selector in env.selectors:
            path: DataPath = ("environments", i, "accounts", j, "organizations")
            if manifest.organizations is None:
                message = (
                    f"environment {env.name} selects accounts from AWS Organizations, but the manifest does not say "
                    "how to read it: add a top-level organizations: {management_account: '<12-digit id>'} "
                    "(and role: if not FlightdeckOrganizationsReader)"
                )
                problems.append(Problem(path, message, at_key=True))
            for k, region in enumerate(selector.regions):
                if region not in owner:
                    owner[region] = j
                    continue
                message = (
                    f"entries {owner[region]} and {j} of environment {env.name} both select accounts in {region}: an "
                    "account both select would get two stacks; select each region's accounts with one entry"
                )
                problems.append(Problem(("environments", i, "accounts", j, "regions", k), message))
    return problems


def _targets(manifest: Manifest) -> Iterator[tuple[DataPath, Environment, AccountTarget, str]]:
    """Every listed (environment, account, region) with the data path of its region entry."""
    for i, env in enumerate(manifest.environments):
        for j, account in env.listed_accounts:
            for k, region in enumerate(account.regions):
                yield ("environments", i, "accounts", j, "regions", k), env, account, region


def _waves(manifest: Manifest) -> list[Problem]:
    problems = []
    for i, env in enumerate(manifest.environments):
        _, found = assign_waves(env.waves, env.static_targets, selectors=bool(env.selectors), at=("environments", i))
        problems += found
    return problems


def _stack_tags(manifest: Manifest) -> list[Problem]:
    problems = []
    for i, env in enumerate(manifest.environments):
        tags = manifest.stack_options_for(env).tags
        if len(tags) <= MAX_STACK_TAGS:
            continue
        own = env.stack_options is not None and bool(env.stack_options.tags)
        path: DataPath = ("environments", i, "stack_options", "tags") if own else ("stack_options", "tags")
        message = (
            f"environment {env.name} has {len(tags)} stack tags; at most {MAX_STACK_TAGS} fit, as CloudFormation "
            f"allows 50 and Flightdeck adds {len(FLIGHTDECK_TAGS)} ({', '.join(FLIGHTDECK_TAGS)})"
        )
        problems.append(Problem(path, message, at_key=True))
    return problems


def _refresh(manifest: Manifest) -> list[Problem]:
    if manifest.refresh is None:
        return []
    names = [env.name for env in manifest.environments]
    problems = []
    for k, name in enumerate(manifest.refresh.environments):
        if name in names:
            continue
        if "*" in name:
            message = f"{name!r}: there is no wildcard; list each environment to refresh by name ({', '.join(names)})"
        else:
            message = f"no environment {name!r} in this manifest{did_you_mean(name, names)}"
        problems.append(Problem(("refresh", "environments", k), message))
    return problems
