"""Render a release plan as text for people (``flightdeck plan``)."""

from __future__ import annotations

import json

from flightdeck.plan.document import environment_tasks
from flightdeck.plan.models import (
    Approval,
    EnvironmentPlan,
    ExpectationsCheck,
    HttpCheck,
    LambdaCheck,
    ReleasePlan,
    RollbackRules,
    SmokeCheck,
    WavePlan,
)
from flightdeck.plan.target import AccountSelector, ParameterSource, Target

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_SOURCES = {
    "ssm": "Parameter Store, target account",
    "secretsmanager": "Secrets Manager, target account; the value is never shown",
    "release": "set by the run",
}


def describe(plan: ReleasePlan) -> str:
    """The plan as text: per environment its approval, waves, targets with every setting, and its tasks."""
    lines = [f"Release plan for {plan.application} (DAG {plan.dag_id})"]
    if plan.description:
        lines.append(f"  {plan.description}")
    lines += [
        f"  manifest:     {plan.manifest_path or '-'}",
        f"  template:     {plan.template_path}",
        f"  connection:   {plan.aws_conn_id}",
        f"  capabilities: {', '.join(plan.capabilities) or '-'}",
    ]
    if plan.refresh is not None:
        lines.append(f"  refresh:      {plan.refresh.schedule} (UTC) of {', '.join(plan.refresh.environments)}")
    if plan.organizations is not None:
        reader = plan.organizations
        external = f" (external id {reader.external_id})" if reader.external_id else ""
        lines.append(f"  organizations: accounts selected through {reader.role_arn}{external}")
    count = len(plan.environments)
    for number, environment in enumerate(plan.environments, start=1):
        lines += ["", *_environment(environment, f"{number}/{count}")]
    lines += ["", f"Smoke tests after each target: {len(plan.smoke_checks) or 'none'}"]
    for check in plan.smoke_checks:
        lines += _smoke_check(check)
    return "\n".join(lines) + "\n"


def format_duration(seconds: int) -> str:
    """``86400`` → ``1d``, ``5400`` → ``90m``: the largest unit that divides exactly."""
    for unit, size in _UNITS:
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"  # pragma: no cover - the loop always ends at seconds


def _environment(environment: EnvironmentPlan, number: str) -> list[str]:
    targets = len(environment.targets)
    selected = " and the accounts selected at run time" if environment.selectors else ""
    lines = [
        f"Environment {number}: {environment.name} "
        f"({targets} target{'s' if targets != 1 else ''}{selected}; {_approval(environment.approval)})"
    ]
    if environment.approval.required:
        lines.append(f"  approval rules: {_approval_rules(environment.approval)}")
    lines.append(f"  on a failed smoke test: {_rollback(environment.rollback)}")
    by_label = {target.label: target for target in environment.targets}
    waves = environment.waves or (WavePlan("all", tuple(by_label)),)  # a plan built by hand may have none
    for index, wave in enumerate(waves, start=1):
        lines.append(f"  Wave {index}/{len(waves)}: {wave.name} ({_pace(wave)})")
        for label in wave.labels:
            lines += _target(by_label[label], indent="    ")
    if environment.selectors:
        lines.append(
            f"  Accounts selected from AWS Organizations when the release starts (they join wave {waves[-1].name}):"
        )
        for selector in environment.selectors:
            lines += _selector(selector)
    lines.append("  Tasks:")
    lines += [f"    {task}" for task in environment_tasks(environment)]
    return lines


def _approval(approval: Approval) -> str:
    if not approval.required:
        return "no approval"
    timeout = f"timeout {format_duration(approval.timeout_seconds)}" if approval.timeout_seconds else "no timeout"
    return f"approval by {', '.join(approval.approvers)}, {timeout}"


def _approval_rules(approval: Approval) -> str:
    automatic = {
        "never": "never approved automatically",
        "empty": "passes by itself when every change set is empty",
        "benign": "passes by itself when every change is benign",
    }[approval.auto_approve]
    timeout = f"a timeout means {approval.on_timeout}" if approval.timeout_seconds else "waits for an answer"
    return f"{automatic}; {timeout}"


def _rollback(rules: RollbackRules) -> str:
    if not rules.on_smoke_failure:
        return "the target is left as deployed (no rollback)"
    created = "deleted" if rules.delete_created_stacks else "kept"
    return f"roll the target back; a stack this release created is {created}"


def _pace(wave: WavePlan) -> str:
    size = len(wave.labels)
    concurrency = f"{wave.max_concurrent} at a time" if wave.max_concurrent else "all at once"
    if wave.failure_tolerance_percent is not None:
        tolerance = f"tolerates {wave.failure_tolerance_percent}% failed"
    elif wave.failure_tolerance_count:
        tolerance = f"tolerates {wave.failure_tolerance_count} failed"
    else:
        tolerance = "the first failure stops the environment"
    bake = f"bake {format_duration(wave.bake_time_seconds)}" if wave.bake_time_seconds else "no bake time"
    return f"{size} target{'s' if size != 1 else ''}; {concurrency}; {tolerance}; {bake}"


def _target(target: Target, indent: str, heading: str = "") -> list[str]:
    rows = [
        ("stack", target.stack_name),
        (
            "deploy role",
            f"{target.deploy_role_arn} (external id {target.external_id}, "
            f"sessions of {format_duration(target.session_duration_seconds)})",
        ),
        ("execution role", target.execution_role_arn),
        ("artifacts", f"s3://{target.artifact_bucket}"),
        ("tags", ", ".join(f"{key}={value}" for key, value in target.tags)),
        ("protection", f"termination protection {'on' if target.termination_protection else 'off'}"),
    ]
    if target.stack_policy_json:
        rows.append(("stack policy", target.stack_policy_json))
    if target.notification_arns:
        rows.append(("notifications", ", ".join(target.notification_arns)))
    if target.rollback_alarms or target.rollback_monitoring_minutes:
        watch = format_duration(target.rollback_monitoring_minutes * 60) if target.rollback_monitoring_minutes else "0m"
        alarms = ", ".join(target.rollback_alarms) or "no alarms"
        rows.append(("rollback", f"on {alarms}, watched for {watch} after an update"))
    lines = [f"{indent}{heading or target.label}"]
    lines += [f"{indent}  {f'{name}:':<16}{value}" for name, value in rows]
    lines.append(f"{indent}  parameters:" if target.parameters else f"{indent}  parameters:     none")
    width = max((len(parameter.name) for parameter in target.parameters), default=0)
    lines += [
        f"{indent}    {parameter.name:<{width}} = {_parameter_value(parameter)}  [{parameter.layer}]"
        for parameter in target.parameters
    ]
    return lines


def _selector(selector: AccountSelector) -> list[str]:
    heading = f"accounts {selector.conditions}; regions {', '.join(selector.regions)}"
    return _target(selector.template, indent="    ", heading=heading)


def _parameter_value(parameter: ParameterSource) -> str:
    if parameter.kind in _SOURCES:
        return f"{parameter.kind}:{parameter.value} ({_SOURCES[parameter.kind]})"
    return json.dumps(parameter.value)


def _smoke_check(check: SmokeCheck) -> list[str]:
    if isinstance(check, HttpCheck):
        lines = _http_check(check)
    elif isinstance(check, ExpectationsCheck):
        lines = _expectations_check(check)
    elif isinstance(check, LambdaCheck):
        lines = [f"  {check.name} (lambda): invoke output {check.function_output} with {check.payload_json}"]
        lines += [f"    expect {key} == {json.dumps(value)}" for key, value in check.expect]
    else:  # pragma: no cover - every kind is rendered above
        lines = [f"  {check.name} ({check.kind})"]
    if check.outputs:
        lines.append(f"    outputs must exist: {', '.join(check.outputs)}")
    return lines


def _http_check(check: HttpCheck) -> list[str]:
    path = f" + {check.path}" if check.path else ""
    lines = [f"  {check.name} (http): {check.method} output {check.url_output}{path}, timeout {_ms(check.timeout_ms)}"]
    if check.body_json:
        lines.append(f"    body {check.body_json}")
    lines.append(f"    expect status {check.expect_status}")
    lines += [f"    expect {path} == {json.dumps(value)}" for path, value in check.expect_json]
    if check.max_latency_ms is not None:
        lines.append(f"    expect an answer within {_ms(check.max_latency_ms)}")
    return lines


def _expectations_check(check: ExpectationsCheck) -> list[str]:
    suite = json.loads(check.suite_json)
    expectations = suite["expectations"]
    rows = f"the rows are the list at {check.records}" if check.records else "the whole answer is one row"
    lines = [
        f"  {check.name} (expectations): suite {suite['name']} ({check.suite}), {len(expectations)} expectations",
        f"    invoke output {check.function_output} with {check.payload_json}; {rows}",
    ]
    for expectation in expectations:
        column = expectation["kwargs"].get("column")
        lines.append(f"    {expectation['type']}" + (f" ({column})" if column else ""))
    return lines


def _ms(milliseconds: int) -> str:
    """``2000`` → ``2s``, ``1500`` → ``1500ms``."""
    return format_duration(milliseconds // 1000) if milliseconds % 1000 == 0 else f"{milliseconds}ms"
