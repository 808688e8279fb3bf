"""The refresh DAG builder: walks a release plan's refresh and lays out its tasks; it decides nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, TaskGroup, XComArg, task_group

from flightdeck import naming
from flightdeck.errors import PlanError
from flightdeck.operators.accounts import SelectAccountsOperator
from flightdeck.operators.drift import DetectDriftOperator
from flightdeck.operators.refresh import RefreshChangeSetOperator, RefreshExecuteOperator, RefreshSmokeOperator
from flightdeck.operators.refresh_gate import RefreshGateOperator
from flightdeck.plan import EnvironmentPlan, ReleasePlan

# Each mapped instance shows its target in the grid instead of a bare index.
TARGET_LABEL = "{{ task.target_label }}"
# Every task is safe to run again (see pipeline.RETRIES).
RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay": timedelta(seconds=10),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=2),
}


def build_refresh_dag(plan: ReleasePlan) -> DAG:
    """``refresh__<application>`` on the manifest's schedule: each refreshed environment, independently."""
    if plan.refresh is None:
        raise PlanError(f"{plan.application}: the manifest schedules no refresh")
    environments = {environment.name: environment for environment in plan.environments}
    with DAG(
        dag_id=naming.refresh_dag_id(plan.application),
        description=f"Nightly refresh of {plan.application}: drift detected, last promoted version redeployed",
        schedule=plan.refresh.schedule,
        catchup=False,
        max_active_runs=1,
        default_args=RETRIES,
        tags=["flightdeck", "refresh", f"app:{plan.application}"],
        doc_md=_doc(plan),
    ) as dag:
        for name in plan.refresh.environments:
            _environment_group(plan, environments[name])
    return dag


def _environment_group(plan: ReleasePlan, environment: EnvironmentPlan) -> TaskGroup:
    """prepare (detect drift → change set) → approve → deploy (execute → smoke test) over the targets."""
    targets = environment.catalog
    prefix = environment.name
    detect_id = naming.task_id(prefix, naming.PREPARE_GROUP, naming.DETECT_DRIFT)
    change_set_id = naming.task_id(prefix, naming.PREPARE_GROUP, naming.CREATE_CHANGE_SET)
    execute_id = naming.task_id(prefix, naming.DEPLOY_GROUP, naming.EXECUTE_CHANGE_SET)

    def per_target(target_label: str) -> dict[str, Any]:
        return {
            "target_label": target_label,
            "targets": targets,
            "aws_conn_id": plan.aws_conn_id,
            "detect_task_id": detect_id,
            "map_index_template": TARGET_LABEL,
        }

    with TaskGroup(group_id=environment.name, tooltip=f"Refresh {environment.name}") as group:
        labels: list[str] | XComArg = [target.label for target in environment.targets]
        if environment.selectors:
            labels = _select_accounts(plan, environment)

        @task_group(group_id=naming.PREPARE_GROUP)
        def prepare(target_label: str) -> None:
            detect = DetectDriftOperator(
                task_id=naming.DETECT_DRIFT, application=plan.application, **per_target(target_label)
            )
            detect >> RefreshChangeSetOperator(
                task_id=naming.CREATE_CHANGE_SET,
                application=plan.application,
                capabilities=list(plan.capabilities),
                **per_target(target_label),
            )

        @task_group(group_id=naming.DEPLOY_GROUP)
        def deploy(target_label: str) -> None:
            execute = RefreshExecuteOperator(
                task_id=naming.EXECUTE_CHANGE_SET,
                change_set_task_id=change_set_id,
                approval_task_id=naming.task_id(prefix, naming.APPROVE),
                trigger_rule="none_failed",
                **per_target(target_label),
            )
            execute >> RefreshSmokeOperator(
                task_id=naming.SMOKE_TEST,
                checks=plan.smoke_checks,
                change_set_task_id=change_set_id,
                execute_task_id=execute_id,
                trigger_rule="none_failed",
                **per_target(target_label),
            )

        gate = RefreshGateOperator(
            task_id=naming.APPROVE,
            environment=environment.name,
            application=plan.application,
            approval=environment.approval,
            change_set_task_id=change_set_id,
            detect_task_id=detect_id,
            targets=targets,
            aws_conn_id=plan.aws_conn_id,
        )
        prepare.expand(target_label=labels) >> gate >> deploy.expand(target_label=labels)
    return group


def _select_accounts(plan: ReleasePlan, environment: EnvironmentPlan) -> XComArg:
    """The labels of the environment's targets, those it selects from AWS Organizations included."""
    if plan.organizations is None:  # the manifest checks rule this out
        raise PlanError(f"{plan.application}: accounts are selected from AWS Organizations, but through no role")
    return SelectAccountsOperator(
        task_id=naming.SELECT_ACCOUNTS,
        environment=environment.name,
        catalog=environment.catalog,
        wave_labels=tuple(target.label for target in environment.targets),
        organizations=plan.organizations,
        aws_conn_id=plan.aws_conn_id,
    ).output


def _doc(plan: ReleasePlan) -> str:
    """The DAG's documentation (docs/refresh.md says more)."""
    assert plan.refresh is not None
    lines = [
        f"# Refresh `{plan.application}`",
        "",
        f"Schedule `{plan.refresh.schedule}` (UTC). For each target of "
        f"{', '.join(plan.refresh.environments)}: detect drift, redeploy its last verified release with a "
        "drift-aware change set (REVERT_DRIFT), run the smoke tests. See docs/refresh.md.",
        "",
        f"Manifest: `{plan.manifest_path}`",
    ]
    return "\n".join(lines)
