"""The plan as a stable JSON document (``flightdeck plan --json``), and the tasks Airflow runs per environment."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flightdeck import naming
from flightdeck.errors import PlanError
from flightdeck.manifest.fields import did_you_mean
from flightdeck.plan.models import EnvironmentPlan, ReleasePlan, WavePlan

PLAN_FORMAT = 1  # bumped only when a key changes meaning or disappears; new keys may appear in any version


def plan_document(plan: ReleasePlan) -> dict[str, Any]:
    """The whole plan as JSON-safe data; keys and list orders are stable (docs/manifest.md shows the shape)."""
    return {
        "format": PLAN_FORMAT,
        "application": plan.application,
        "description": plan.description,
        "dag_id": plan.dag_id,
        "manifest_path": plan.manifest_path,
        "template_path": plan.template_path,
        "aws_conn_id": plan.aws_conn_id,
        "capabilities": list(plan.capabilities),
        "refresh": plan.refresh.to_dict() if plan.refresh is not None else None,
        "organizations": plan.organizations.to_dict() if plan.organizations is not None else None,
        "environments": [_environment(environment) for environment in plan.environments],
        "smoke_checks": [check.to_dict() for check in plan.smoke_checks],
    }


def _environment(environment: EnvironmentPlan) -> dict[str, Any]:
    return {
        "name": environment.name,
        "approval": environment.approval.to_dict(),
        "execution": environment.execution,
        "rollback": environment.rollback.to_dict(),
        "waves": [wave.to_dict() for wave in environment.waves],
        "targets": [{"label": target.label, **target.to_dict()} for target in environment.targets],
        "selectors": [{"labels": list(selector.labels), **selector.to_dict()} for selector in environment.selectors],
        "tasks": list(environment_tasks(environment)),
    }


def environment_tasks(environment: EnvironmentPlan) -> tuple[str, ...]:
    """The task instances Airflow runs for one environment, wave by wave: ``<task id>[<target label>]`` when mapped.

    Accounts selected at run time join the last wave, once per region, with ``{account_id}`` in their label; the
    task selecting them runs before preflight. Every wave has a gate (one per wave, or one per target in the
    deploy group): it passes by itself unless a person must decide.
    """
    waves = environment.waves or (WavePlan("all", tuple(target.label for target in environment.targets)),)
    selected = tuple(label for selector in environment.selectors for label in selector.labels)
    tasks: list[str] = [naming.task_id(naming.SELECT_ACCOUNTS, environment.name)] if environment.selectors else []
    for index, wave in enumerate(waves):
        group = naming.wave_group(environment.name, wave.name, len(waves))
        labels = wave.labels + (selected if index == len(waves) - 1 else ())
        tasks += _mapped(group, naming.PREPARE_GROUP, (naming.PACKAGE, naming.CREATE_CHANGE_SET), labels)
        deploy = (naming.EXECUTE_CHANGE_SET, naming.SMOKE_TEST)
        if environment.approval.per == "target":
            deploy = (naming.APPROVE, *deploy)
        else:
            tasks.append(naming.task_id(group, naming.APPROVE))
        tasks += _mapped(group, naming.DEPLOY_GROUP, deploy, labels)
        tasks.append(naming.task_id(group, naming.WAVE_CHECK))
    return tuple(tasks)


def _mapped(group: str, stage: str, tasks: tuple[str, ...], labels: tuple[str, ...]) -> list[str]:
    return [f"{naming.task_id(group, stage, task)}[{label}]" for task in tasks for label in labels]


def only_environment(plan: ReleasePlan, name: str) -> ReleasePlan:
    """The plan reduced to one environment.

    :raises PlanError: when the plan has no environment ``name``; the message lists the ones it has.
    """
    chosen = tuple(environment for environment in plan.environments if environment.name == name)
    if not chosen:
        names = [environment.name for environment in plan.environments]
        raise PlanError(
            f"no environment {name!r} in the manifest of {plan.application}{did_you_mean(name, names)} "
            f"(its environments: {', '.join(names)})"
        )
    return replace(plan, environments=chosen)
