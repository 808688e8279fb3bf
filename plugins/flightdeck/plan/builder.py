"""Turn a validated manifest into a release plan: pure and deterministic."""

from __future__ import annotations

import json

from flightdeck import naming
from flightdeck.errors import PlanError
from flightdeck.manifest import AccountTarget, Environment, Manifest, SmokeTest
from flightdeck.plan.models import (
    Approval,
    EnvironmentPlan,
    ParameterSource,
    ReleasePlan,
    SmokeCheck,
    Target,
)

APPLICATION_TAG = naming.APPLICATION_TAG
ENVIRONMENT_TAG = naming.ENVIRONMENT_TAG


def build_plan(manifest: Manifest) -> ReleasePlan:
    """The release plan of ``manifest``.

    :raises PlanError: when the manifest cannot be planned (checks ``load_manifest`` already makes).
    """
    environments = tuple(_environment(manifest, environment) for environment in manifest.environments)
    _check_unique_stacks(environments)
    source = manifest.source_path
    return ReleasePlan(
        application=manifest.application,
        description=manifest.description,
        dag_id=naming.dag_id(manifest.application),
        manifest_path=str(source) if source is not None else "",
        template_path=str(manifest.template_path),
        aws_conn_id=manifest.aws_conn_id,
        capabilities=tuple(sorted(manifest.capabilities)),
        environments=environments,
        smoke_checks=tuple(_smoke_check(test) for test in manifest.smoke_tests),
    )


def _environment(manifest: Manifest, environment: Environment) -> EnvironmentPlan:
    approval = environment.approval
    return EnvironmentPlan(
        name=environment.name,
        approval=Approval(
            required=approval.required,
            approvers=approval.approvers,
            timeout_seconds=approval.timeout_seconds,
        ),
        targets=tuple(
            _target(manifest, environment, account, region)
            for account in environment.accounts
            for region in account.regions
        ),
    )


def _target(manifest: Manifest, environment: Environment, account: AccountTarget, region: str) -> Target:
    role = manifest.deploy_role_for(environment)
    if role is None:
        raise PlanError(f"environment {environment.name} has no deploy_role and the manifest sets no default")
    try:
        stack_name = naming.stack_name(manifest.stack_name, manifest.application, environment.name, account.id, region)
    except ValueError as err:
        raise PlanError(f"{naming.target_label(environment.name, account.id, region)}: {err}") from err
    merged: dict[str, ParameterSource] = {}
    for layer, parameters in manifest.parameter_layers(environment, account, region):
        for name, value in parameters.items():
            merged[name] = ParameterSource(name=name, kind=value.kind, value=value.value, layer=layer)
    tags = {APPLICATION_TAG: manifest.application, ENVIRONMENT_TAG: environment.name}
    return Target(
        environment=environment.name,
        account_id=account.id,
        region=region,
        stack_name=stack_name,
        deploy_role_arn=naming.role_arn(role.name, account.id),
        execution_role_arn=naming.role_arn(role.execution_role, account.id),
        external_id=role.external_id,
        artifact_bucket=naming.artifact_bucket(account.id, region),
        parameters=tuple(merged[name] for name in sorted(merged)),
        tags=tuple(sorted(tags.items())),
    )


def _smoke_check(test: SmokeTest) -> SmokeCheck:
    return SmokeCheck(
        name=test.name,
        kind=test.type,
        function_output=test.function_output,
        payload_json=json.dumps(test.payload, sort_keys=True, separators=(",", ":")),
        expect=tuple(sorted(test.expect.items())),
        outputs=test.outputs,
    )


def _check_unique_stacks(environments: tuple[EnvironmentPlan, ...]) -> None:
    seen: dict[tuple[str, str, str], str] = {}
    for environment in environments:
        for target in environment.targets:
            key = (target.account_id, target.region, target.stack_name)
            if key in seen:
                raise PlanError(f"{target.label} and {seen[key]} would deploy the same stack {target.stack_name}")
            seen[key] = target.label
