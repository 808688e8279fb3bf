"""Render a release plan as text for people (``flightdeck plan``)."""

from __future__ import annotations

import json

from flightdeck.plan.models import Approval, ParameterSource, ReleasePlan, SmokeCheck, Target

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def describe(plan: ReleasePlan) -> str:
    """The plan as text: per environment, per target, the stack, roles and each parameter with its layer."""
    lines = [f"Release plan for {plan.application} (DAG {plan.dag_id})"]
    if plan.description:
        lines.append(f"  {plan.description}")
    lines += [
        f"  manifest:     {plan.manifest_path or '-'}",
        f"  template:     {plan.template_path}",
        f"  connection:   {plan.aws_conn_id}",
        f"  capabilities: {', '.join(plan.capabilities) or '-'}",
    ]
    count = len(plan.environments)
    for number, environment in enumerate(plan.environments, start=1):
        targets = len(environment.targets)
        lines += [
            "",
            f"Environment {number}/{count}: {environment.name} "
            f"({targets} target{'s' if targets != 1 else ''}; {_approval(environment.approval)})",
        ]
        for target in environment.targets:
            lines += _target(target)
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


def _approval(approval: Approval) -> str:
    if not approval.required:
        return "no approval"
    timeout = f"timeout {format_duration(approval.timeout_seconds)}" if approval.timeout_seconds else "no timeout"
    return f"approval by {', '.join(approval.approvers)}, {timeout}"


def _target(target: Target) -> list[str]:
    lines = [
        f"  {target.label}",
        f"    stack:          {target.stack_name}",
        f"    deploy role:    {target.deploy_role_arn} (external id {target.external_id})",
        f"    execution role: {target.execution_role_arn}",
        f"    artifacts:      s3://{target.artifact_bucket}",
        f"    tags:           {', '.join(f'{key}={value}' for key, value in target.tags)}",
        "    parameters:" if target.parameters else "    parameters:     none",
    ]
    width = max((len(parameter.name) for parameter in target.parameters), default=0)
    lines += [
        f"      {parameter.name:<{width}} = {_parameter_value(parameter)}  [{parameter.layer}]"
        for parameter in target.parameters
    ]
    return lines


def _parameter_value(parameter: ParameterSource) -> str:
    if parameter.kind == "ssm":
        return f"ssm:{parameter.value} (Parameter Store, target account)"
    if parameter.kind == "release":
        return f"release:{parameter.value} (set by the run)"
    return json.dumps(parameter.value)


def _smoke_check(check: SmokeCheck) -> list[str]:
    lines = [
        f"  {check.name} ({check.kind}): invoke output {check.function_output} with {check.payload_json}",
    ]
    lines += [f"    expect {key} == {json.dumps(value)}" for key, value in check.expect]
    if check.outputs:
        lines.append(f"    outputs must exist: {', '.join(check.outputs)}")
    return lines
