"""Checks of a valid manifest against its template: parameters and smoke-test outputs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flightdeck.manifest.accounts import AccountEntry, AccountTarget
from flightdeck.manifest.fields import did_you_mean
from flightdeck.manifest.issues import Problem
from flightdeck.manifest.models import Environment, Manifest
from flightdeck.manifest.parameters import ParameterValue
from flightdeck.manifest.template import TemplateInfo
from flightdeck.manifest.yamlsource import DataPath

# (environment index, account entry index, region index) of one target missing a parameter
_Place = tuple[int, int, int]


def check_template(manifest: Manifest, template: TemplateInfo) -> list[Problem]:
    """Problems between the manifest and its template: parameters and smoke-test outputs."""
    return [
        *_undeclared_parameters(manifest, template),
        *_uncovered_parameters(manifest, template),
        *_smoke_test_outputs(manifest, template),
    ]


def _layers(manifest: Manifest) -> Iterator[tuple[DataPath, Mapping[str, ParameterValue]]]:
    """Every parameter mapping of the manifest with its data path."""
    yield ("parameters",), manifest.parameters
    for i, env in enumerate(manifest.environments):
        yield ("environments", i, "parameters"), env.parameters
        for j, entry in enumerate(env.accounts):
            yield ("environments", i, "accounts", j, "parameters"), entry.parameters
            if isinstance(entry, AccountTarget):
                for region, parameters in entry.region_parameters.items():
                    yield ("environments", i, "accounts", j, "region_parameters", region), parameters


def _undeclared_parameters(manifest: Manifest, template: TemplateInfo) -> list[Problem]:
    declared = sorted(template.parameters)
    return [
        Problem(
            (*path, name),
            f"parameter {name!r} is not declared in the template's Parameters ({template.path.name}), so "
            f"CloudFormation would reject it{did_you_mean(name, declared)}",
            at_key=True,
        )
        for path, parameters in _layers(manifest)
        for name in parameters
        if name not in template.parameters
    ]


def _uncovered_parameters(manifest: Manifest, template: TemplateInfo) -> list[Problem]:
    missing: dict[str, list[_Place]] = {}
    count = 0
    for i, env in enumerate(manifest.environments):
        for j, entry in enumerate(env.accounts):
            for k, region in enumerate(entry.regions):
                count += 1
                supplied = {name for _, layer in manifest.parameter_layers(env, entry, region) for name in layer}
                for name in sorted(template.required - supplied):
                    missing.setdefault(name, []).append((i, j, k))
    problems = []
    for name, places in sorted(missing.items()):
        if len(places) == count:
            where: DataPath = ("parameters",) if manifest.parameters else ("template",)
            message = (
                f"template parameter {name} has no Default and no value: add {name} to parameters "
                "(for every environment), or to each environment or account"
            )
            problems.append(Problem(where, message, at_key=where == ("parameters",)))
            continue
        problems += _missing_in(manifest, name, places)
    return problems


def _missing_in(manifest: Manifest, name: str, places: list[_Place]) -> list[Problem]:
    """One problem per account entry missing ``name`` in all its regions, else one per region missing it."""
    by_entry: dict[tuple[int, int], list[int]] = {}
    for i, j, k in places:
        by_entry.setdefault((i, j), []).append(k)
    problems = []
    for (i, j), regions in by_entry.items():
        env = manifest.environments[i]
        entry = env.accounts[j]
        what = _describe(env, entry)
        if len(regions) == len(entry.regions):
            key = "id" if isinstance(entry, AccountTarget) else "organizations"
            owner = "this account's" if isinstance(entry, AccountTarget) else "this entry's"
            message = (
                f"template parameter {name} has no Default and no value for {what}: add it to {owner}, "
                "the environment's or the top-level parameters"
            )
            problems.append(Problem(("environments", i, "accounts", j, key), message))
            continue
        problems += [
            Problem(
                ("environments", i, "accounts", j, "regions", k),
                f"template parameter {name} has no Default and no value for {what} in {entry.regions[k]}: add it "
                "to this account's region_parameters, or to its parameters",
            )
            for k in regions
        ]
    return problems


def _describe(env: Environment, entry: AccountEntry) -> str:
    if isinstance(entry, AccountTarget):
        return f"environment {env.name}, account {entry.id}"
    return f"environment {env.name}, the accounts selected from AWS Organizations"


def _smoke_test_outputs(manifest: Manifest, template: TemplateInfo) -> list[Problem]:
    declared = sorted(template.outputs)
    return [
        Problem(
            ("smoke_tests", i, *path),
            f"output {name!r} is not declared in the template's Outputs ({template.path.name})"
            f"{_closest(name, declared)}",
        )
        for i, test in enumerate(manifest.smoke_tests)
        for path, name in test.output_references()
        if name not in template.outputs
    ]


def _closest(name: str, declared: list[str]) -> str:
    return did_you_mean(name, declared) or f"; it declares {', '.join(declared) or 'none'}"
