"""Checks across fields of a valid manifest, and of the manifest against its template."""

from __future__ import annotations

from collections.abc import Iterator

from flightdeck import naming
from flightdeck.manifest.fields import did_you_mean
from flightdeck.manifest.issues import Problem
from flightdeck.manifest.models import AccountTarget, Environment, Manifest
from flightdeck.manifest.template import TemplateInfo
from flightdeck.manifest.yamlsource import DataPath, format_path


def check_manifest(manifest: Manifest) -> list[Problem]:
    """Problems no single field shows: missing deploy roles, unusable or shared stack names."""
    return [*_deploy_roles(manifest), *_stack_names(manifest)]


def check_template(manifest: Manifest, template: TemplateInfo) -> list[Problem]:
    """Problems between the manifest and its template: parameters and smoke-test outputs."""
    return [
        *_undeclared_parameters(manifest, template),
        *_uncovered_parameters(manifest, template),
        *_smoke_test_outputs(manifest, template),
    ]


def _deploy_roles(manifest: Manifest) -> list[Problem]:
    return [
        Problem(
            ("environments", index, "name"),
            f"environment {env.name} has no deploy_role: set deploy_role at the top level (the default of "
            "every environment) or in this environment",
        )
        for index, env in enumerate(manifest.environments)
        if manifest.deploy_role_for(env) is None
    ]


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


def _targets(manifest: Manifest) -> Iterator[tuple[DataPath, Environment, AccountTarget, str]]:
    """Every (environment, account, region) with the data path of its region entry."""
    for i, env in enumerate(manifest.environments):
        for j, account in enumerate(env.accounts):
            for k, region in enumerate(account.regions):
                yield ("environments", i, "accounts", j, "regions", k), env, account, region


def _undeclared_parameters(manifest: Manifest, template: TemplateInfo) -> list[Problem]:
    layers: list[tuple[DataPath, dict]] = [(("parameters",), manifest.parameters)]
    for i, env in enumerate(manifest.environments):
        layers.append((("environments", i, "parameters"), env.parameters))
        layers.extend(
            (("environments", i, "accounts", j, "parameters"), account.parameters)
            for j, account in enumerate(env.accounts)
        )
    declared = sorted(template.parameters)
    return [
        Problem(
            (*path, name),
            f"parameter {name!r} is not declared in the template's Parameters ({template.path.name}), so "
            f"CloudFormation would reject it{did_you_mean(name, declared)}",
            at_key=True,
        )
        for path, parameters in layers
        for name in parameters
        if name not in template.parameters
    ]


def _uncovered_parameters(manifest: Manifest, template: TemplateInfo) -> list[Problem]:
    missing: dict[str, list[tuple[int, int]]] = {}
    accounts = 0
    for i, env in enumerate(manifest.environments):
        for j, account in enumerate(env.accounts):
            accounts += 1
            supplied: set[str] = set()
            for region in account.regions:
                for _layer, parameters in manifest.parameter_layers(env, account, region):
                    supplied.update(parameters)
            for name in sorted(template.required - supplied):
                missing.setdefault(name, []).append((i, j))
    problems = []
    for name, places in sorted(missing.items()):
        if len(places) == accounts:
            where: DataPath = ("parameters",) if manifest.parameters else ("template",)
            message = (
                f"template parameter {name} has no Default and no value: add {name} to parameters "
                "(for every environment), or to each environment or account"
            )
            problems.append(Problem(where, message, at_key=where == ("parameters",)))
            continue
        for i, j in places:
            env = manifest.environments[i]
            problems.append(
                Problem(
                    ("environments", i, "accounts", j, "id"),
                    f"template parameter {name} has no Default and no value for environment {env.name}, "
                    f"account {env.accounts[j].id}: add it to this account's, the environment's or the "
                    "top-level parameters",
                )
            )
    return problems


def _smoke_test_outputs(manifest: Manifest, template: TemplateInfo) -> list[Problem]:
    declared = sorted(template.outputs)
    problems = []
    for i, test in enumerate(manifest.smoke_tests):
        references: list[tuple[DataPath, str]] = [(("smoke_tests", i, "function_output"), test.function_output)]
        references += [(("smoke_tests", i, "outputs", k), name) for k, name in enumerate(test.outputs)]
        problems.extend(
            Problem(
                path,
                f"output {name!r} is not declared in the template's Outputs ({template.path.name})"
                f"{did_you_mean(name, declared)}",
            )
            for path, name in references
            if name not in template.outputs
        )
    return problems
