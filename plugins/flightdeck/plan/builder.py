"""Turn a validated manifest into a release plan: pure and deterministic."""

from __future__ import annotations

import json

from flightdeck import naming
from flightdeck.errors import PlanError
from flightdeck.manifest import (
    AccountEntry,
    Environment,
    ExpectationsSmokeTest,
    HttpSmokeTest,
    LambdaSmokeTest,
    Manifest,
    OrganizationsAccess,
    OrganizationsTarget,
    SmokeTest,
    StackOptions,
    WaveAssignment,
    assign_waves,
)
from flightdeck.plan.models import (
    Approval,
    EnvironmentPlan,
    ExpectationsCheck,
    HttpCheck,
    LambdaCheck,
    Refresh,
    ReleasePlan,
    RollbackRules,
    SmokeCheck,
    WavePlan,
)
from flightdeck.plan.target import (
    ACCOUNT_PLACEHOLDER,
    REFERENCE_KINDS,
    REGION_PLACEHOLDER,
    AccountSelector,
    OrganizationsReader,
    ParameterSource,
    Target,
    stack_collisions,
)


def build_plan(manifest: Manifest) -> ReleasePlan:
    """The release plan of ``manifest``.

    :raises PlanError: when the manifest cannot be planned (checks ``load_manifest`` already makes).
    """
    environments = tuple(_environment(manifest, environment) for environment in manifest.environments)
    _check_unique_stacks(environments)
    source = manifest.source_path
    refresh = manifest.refresh
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
        refresh=Refresh(refresh.schedule, refresh.environments) if refresh is not None else None,
        organizations=_organizations(manifest.organizations) if manifest.organizations is not None else None,
    )


def _organizations(access: OrganizationsAccess) -> OrganizationsReader:
    return OrganizationsReader(
        management_account=access.management_account,
        role_arn=naming.role_arn(access.role, access.management_account),
        external_id=access.external_id,
        session_duration_seconds=access.session_duration_seconds,
    )


def _environment(manifest: Manifest, environment: Environment) -> EnvironmentPlan:
    approval = environment.approval
    options = manifest.stack_options_for(environment)
    rollback = manifest.rollback_for(environment)
    targets = tuple(
        _target(manifest, environment, account, account.id, region, options=options)
        for _, account in environment.listed_accounts
        for region in account.regions
    )
    assignments, problems = assign_waves(
        environment.waves, environment.static_targets, selectors=bool(environment.selectors), at=()
    )
    if problems:
        raise PlanError(f"environment {environment.name}: {problems[0].message}")
    return EnvironmentPlan(
        name=environment.name,
        approval=Approval(
            required=approval.required,
            approvers=approval.approvers,
            timeout_seconds=approval.timeout_seconds,
            on_timeout=approval.on_timeout,
            auto_approve=approval.auto_approve,
            per=approval.per,
            notify=approval.notify,
        ),
        targets=targets,
        waves=tuple(
            _wave(environment, assignment, selected=bool(environment.selectors) and k == len(assignments) - 1)
            for k, assignment in enumerate(assignments)
        ),
        selectors=tuple(_selector(manifest, environment, entry, options) for _, entry in environment.selectors),
        execution=environment.execution,
        rollback=RollbackRules(
            on_smoke_failure=rollback.on_smoke_failure, delete_created_stacks=rollback.delete_created_stacks
        ),
    )


def _wave(environment: Environment, assignment: WaveAssignment, *, selected: bool) -> WavePlan:
    wave = assignment.wave
    return WavePlan(
        name=wave.name,
        labels=tuple(naming.target_label(environment.name, account, region) for account, region in assignment.targets),
        max_concurrent=wave.max_concurrent,
        failure_tolerance_count=wave.failure_tolerance_count,
        failure_tolerance_percent=wave.failure_tolerance_percent,
        bake_time_seconds=wave.bake_time_seconds,
        selected=selected,
    )


def _selector(
    manifest: Manifest, environment: Environment, entry: OrganizationsTarget, options: StackOptions
) -> AccountSelector:
    selection = entry.organizations
    return AccountSelector(
        ou_path=selection.ou_path,
        tags=tuple(sorted(selection.tags.items())),
        exclude=selection.exclude,
        regions=entry.regions,
        template=_target(manifest, environment, entry, ACCOUNT_PLACEHOLDER, REGION_PLACEHOLDER, options=options),
    )


def _target(
    manifest: Manifest,
    environment: Environment,
    entry: AccountEntry,
    account_id: str,
    region: str,
    *,
    options: StackOptions,
) -> Target:
    """The target of one account and region; for a selector, ``{account_id}`` and ``{region}`` stay in place."""
    role = manifest.deploy_role_for(environment, entry)
    if role is None:
        raise PlanError(f"environment {environment.name} has no deploy_role and the manifest sets no default")
    values = {
        "application": manifest.application,
        "environment": environment.name,
        "account_id": account_id,
        "region": region,
    }
    merged: dict[str, ParameterSource] = {}
    for layer, parameters in manifest.parameter_layers(environment, entry, region):
        for name, value in parameters.items():
            text = naming.fill_placeholders(value.value, values) if value.kind in REFERENCE_KINDS else value.value
            merged[name] = ParameterSource(name=name, kind=value.kind, value=text, layer=layer)
    tags = {**options.tags, naming.APPLICATION_TAG: manifest.application, naming.ENVIRONMENT_TAG: environment.name}
    triggers = options.rollback_triggers
    return Target(
        environment=environment.name,
        account_id=account_id,
        region=region,
        stack_name=_stack_name(manifest, values),
        deploy_role_arn=naming.role_arn(role.name, account_id),
        execution_role_arn=naming.role_arn(role.execution_role, account_id),
        external_id=role.external_id,
        artifact_bucket=naming.artifact_bucket(account_id, region),
        parameters=tuple(merged[name] for name in sorted(merged)),
        tags=tuple(sorted(tags.items())),
        session_duration_seconds=role.session_duration_seconds,
        stack_tags=tuple(sorted(options.tags.items())),
        termination_protection=options.termination_protection,
        stack_policy_json=options.stack_policy_json,
        notification_arns=tuple(naming.fill_placeholders(arn, values) for arn in options.notification_arns),
        rollback_alarms=tuple(naming.fill_placeholders(arn, values) for arn in triggers.alarms),
        rollback_monitoring_minutes=triggers.monitoring_minutes,
    )


def _stack_name(manifest: Manifest, values: dict[str, str]) -> str:
    """The stack name; checked unless it is a selector's template (checked then with a sample account)."""
    if values["account_id"] == ACCOUNT_PLACEHOLDER:
        return naming.fill_placeholders(manifest.stack_name, values)
    try:
        return naming.stack_name(manifest.stack_name, **values)
    except ValueError as err:
        label = naming.target_label(values["environment"], values["account_id"], values["region"])
        raise PlanError(f"{label}: {err}") from err


def _smoke_check(test: SmokeTest) -> SmokeCheck:
    if isinstance(test, HttpSmokeTest):
        return HttpCheck(
            name=test.name,
            url_output=test.url_output,
            path=test.path,
            method=test.method,
            body_json=_json(test.body) if test.body is not None else "",
            expect_status=test.expect_status,
            expect_json=tuple(sorted(test.expect_json.items())),
            max_latency_ms=test.max_latency_ms,
            timeout_ms=test.timeout_ms,
            outputs=test.outputs,
        )
    if isinstance(test, ExpectationsSmokeTest):
        return ExpectationsCheck(
            name=test.name,
            suite=test.suite,
            suite_json=test.suite_json,
            function_output=test.data.function_output,
            payload_json=_json(test.data.payload),
            records=test.data.records or "",
            outputs=test.outputs,
        )
    if isinstance(test, LambdaSmokeTest):
        return LambdaCheck(
            name=test.name,
            function_output=test.function_output,
            payload_json=_json(test.payload),
            expect=tuple(sorted(test.expect.items())),
            outputs=test.outputs,
        )
    raise PlanError(f"smoke test {test.name}: unknown type {test.type!r}")  # pragma: no cover - the union is closed


def _json(value: object) -> str:
    """Compact JSON with sorted keys: the same text for the same value, every time."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _check_unique_stacks(environments: tuple[EnvironmentPlan, ...]) -> None:
    collisions = stack_collisions(target for environment in environments for target in environment.targets)
    if collisions:
        raise PlanError(collisions[0])
