"""The DAG builder: walks a release plan and lays out its tasks; it decides nothing."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, BaseOperator, Param, TaskGroup, XComArg, get_parsing_context, task_group

from flightdeck import naming
from flightdeck.errors import FlightdeckError, PlanError
from flightdeck.manifest import discover_manifests, load_manifest, manifest_application
from flightdeck.operators.accounts import SelectAccountsOperator
from flightdeck.operators.approval import ReleaseGateOperator
from flightdeck.operators.change_set import CreateChangeSetOperator
from flightdeck.operators.execute import ExecuteChangeSetOperator
from flightdeck.operators.package import PackageOperator
from flightdeck.operators.preflight import PreflightOperator
from flightdeck.operators.promotion import OVERRIDE_PARAM
from flightdeck.operators.recording import record_failure
from flightdeck.operators.report import DryRunReportOperator
from flightdeck.operators.rollout import WaveRules
from flightdeck.operators.smoke import SmokeTestOperator
from flightdeck.operators.summary import ReleaseSummaryOperator, WaveTasks
from flightdeck.operators.wave import WaveCheckOperator
from flightdeck.plan import EnvironmentPlan, ReleasePlan, TargetCatalog, WavePlan, build_plan
from flightdeck.refresh_pipeline import build_refresh_dag

log = logging.getLogger(__name__)

# Each mapped instance shows its target in the grid instead of a bare index.
TARGET_LABEL = "{{ task.target_label }}"
# Every task is safe to run again. Permanent errors fail at once (operators.base.fail_fast); these retries are for
# what may pass: AWS throttling that outlasted botocore's own retries, a lost worker, a timed-out wait.
RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay": timedelta(seconds=10),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=2),
}


def build_release_dag(plan: ReleasePlan) -> DAG:
    """One DAG per manifest: environments in order, each prepare → (approve) → deploy over its targets."""
    with DAG(
        dag_id=plan.dag_id,
        description=plan.description or f"Release {plan.application}",
        schedule=None,
        max_active_runs=1,
        default_args=RETRIES,
        tags=["flightdeck", f"app:{plan.application}"],
        params={
            "version": Param(
                type="string",
                minLength=1,
                maxLength=128,
                pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$",
                title="Version",
                description="The version being released (tagged on every stack, passed as release:version).",
            ),
            OVERRIDE_PARAM: Param(
                "",
                type="string",
                maxLength=500,
                title="Promotion override (reason)",
                description=(
                    "Leave empty. A version deploys to an environment only after it succeeded in the previous one; "
                    "a reason here lets it past that rule, and is recorded in the release ledger with your name."
                ),
            ),
            "dry_run": Param(
                False,
                type="boolean",
                title="Dry run",
                description=(
                    "Assume every role, resolve every parameter and create every change set, publish what would "
                    "change (the dry_run_report task), then delete the change sets: nothing is deployed."
                ),
            ),
        },
        doc_md=_doc(plan),
        render_template_as_native_obj=False,
    ) as dag:
        selected = _select_accounts(plan)
        preflight = PreflightOperator(
            task_id=naming.PREFLIGHT,
            targets=plan.targets,
            catalogs={environment.name: environment.catalog for environment in plan.environments},
            selected_labels=list(selected.values()),
            aws_conn_id=plan.aws_conn_id,
        )
        previous: TaskGroup | BaseOperator = preflight
        for environment in plan.environments:
            group = _environment_group(plan, environment, selected.get(environment.name))
            previous >> group
            previous = group
        previous >> DryRunReportOperator(
            task_id=naming.DRY_RUN_REPORT,
            change_set_task_ids=[
                _TaskIds(naming.wave_group(environment.name, wave.name, len(environment.waves))).change_set
                for environment in plan.environments
                for wave in environment.waves
            ],
        )
        previous >> ReleaseSummaryOperator(
            task_id=naming.RELEASE_SUMMARY,
            waves=[
                WaveTasks(
                    environment=environment.name,
                    wave=wave.name,
                    labels=wave.labels,
                    task_ids=_TaskIds(naming.wave_group(environment.name, wave.name, len(environment.waves))).targets,
                    selected=wave.selected,
                )
                for environment in plan.environments
                for wave in environment.waves
            ],
            application=plan.application,
            catalogs={environment.name: environment.catalog for environment in plan.environments},
            selected_labels=selected,
        )
    return dag


def _select_accounts(plan: ReleasePlan) -> dict[str, XComArg]:
    """Per environment with ``organizations`` entries, the task listing the labels of its last wave."""
    choosing = [environment for environment in plan.environments if environment.selectors]
    if not choosing:
        return {}
    if plan.organizations is None:  # the manifest checks rule this out
        raise PlanError(f"{plan.application}: accounts are selected from AWS Organizations, but through no role")
    outputs = {}
    with TaskGroup(group_id=naming.SELECT_ACCOUNTS, tooltip="Accounts selected from AWS Organizations"):
        for environment in choosing:
            task = SelectAccountsOperator(
                task_id=environment.name,
                environment=environment.name,
                catalog=environment.catalog,
                wave_labels=environment.waves[-1].labels,
                organizations=plan.organizations,
                aws_conn_id=plan.aws_conn_id,
            )
            outputs[environment.name] = task.output
    return outputs


def _environment_group(plan: ReleasePlan, environment: EnvironmentPlan, selected: XComArg | None) -> TaskGroup:
    """The environment's waves in order; a single wave sits directly in the environment's group.

    ``selected`` gives the labels of the last wave at run time when the environment selects accounts.
    """
    targets = environment.catalog
    with TaskGroup(group_id=environment.name, tooltip=f"Deploy to {environment.name}") as group:
        previous: TaskGroup | None = None
        for wave in environment.waves:
            prefix = naming.wave_group(environment.name, wave.name, len(environment.waves))
            if prefix == environment.name:
                _wave(plan, environment, wave, targets, prefix=prefix, selected=selected)
                continue
            with TaskGroup(group_id=wave.name, tooltip=f"Wave {wave.name}") as wave_group:
                _wave(plan, environment, wave, targets, prefix=prefix, selected=selected)
            if previous is not None:
                previous >> wave_group
            previous = wave_group
    return group


def _wave(
    plan: ReleasePlan,
    environment: EnvironmentPlan,
    wave: WavePlan,
    targets: TargetCatalog,
    *,
    prefix: str,
    selected: XComArg | None,
) -> None:
    """prepare → (approve) → deploy → (check) for one wave's targets, inside the current task group."""
    ids = _TaskIds(prefix)
    rules = WaveRules(
        wave=f"{environment.name}/{wave.name}",
        task_ids=ids.targets,
        failure_tolerance_count=wave.failure_tolerance_count,
        failure_tolerance_percent=wave.failure_tolerance_percent,
    )

    def per_target(target_label: str) -> dict[str, Any]:
        """Arguments every per-target operator of this wave takes."""
        return {
            "target_label": target_label,
            "targets": targets,
            "aws_conn_id": plan.aws_conn_id,
            "map_index_template": TARGET_LABEL,
            "max_active_tis_per_dagrun": wave.max_concurrent,
            "on_failure_callback": record_failure(plan.application),
        }

    approval = environment.approval
    per_target_gate = approval.per == "target"

    def gate(**kwargs: Any) -> ReleaseGateOperator:
        return ReleaseGateOperator(
            task_id=naming.APPROVE,
            environment=environment.name,
            application=plan.application,
            approval=approval,
            change_set_task_id=ids.change_set,
            aws_conn_id=plan.aws_conn_id,
            targets=targets,
            execution=environment.execution,
            wave_rules=rules,
            **kwargs,
        )

    @task_group(group_id=naming.PREPARE_GROUP)
    def prepare(target_label: str) -> None:
        package = PackageOperator(
            task_id=naming.PACKAGE,
            application=plan.application,
            template_path=plan.template_path,
            # A dry run skips the deploy steps before it; only a failure stops what follows.
            trigger_rule="none_failed",
            wave_rules=rules,
            **per_target(target_label),
        )
        change_set = CreateChangeSetOperator(
            task_id=naming.CREATE_CHANGE_SET,
            application=plan.application,
            previous_environment=plan.previous_environment(environment.name),
            capabilities=list(plan.capabilities),
            package_task_id=ids.package,
            **per_target(target_label),
        )
        package >> change_set

    @task_group(group_id=naming.DEPLOY_GROUP)
    def deploy(target_label: str) -> None:
        execute = ExecuteChangeSetOperator(
            task_id=naming.EXECUTE_CHANGE_SET,
            application=plan.application,
            change_set_task_id=ids.change_set,
            approval_task_id=ids.approve_in_deploy if per_target_gate else ids.approve,
            approval_per_target=per_target_gate,
            execution=environment.execution,
            trigger_rule="none_failed",
            wave_rules=rules,
            **per_target(target_label),
        )
        smoke = SmokeTestOperator(
            task_id=naming.SMOKE_TEST,
            checks=plan.smoke_checks,
            change_set_task_id=ids.change_set,
            execute_task_id=ids.execute,
            application=plan.application,
            package_task_id=ids.package,
            # A failed smoke test rolls the target back to its last verified release (in the same task).
            capabilities=list(plan.capabilities),
            rollback_rules=environment.rollback,
            trigger_rule="none_failed",
            **per_target(target_label),
        )
        if per_target_gate:
            gate(target_label=target_label, map_index_template=TARGET_LABEL) >> execute
        execute >> smoke

    # Only the labels are mapped (and serialised); operators look their target up in the parsed plan. The wave
    # that selected accounts join expands over what the environment's select_accounts task returned.
    labels: list[str] | XComArg = selected if wave.selected and selected is not None else list(wave.labels)
    prepared = prepare.expand(target_label=labels)
    deployed = deploy.expand(target_label=labels)
    # Every wave has its gate: it passes by itself unless the manifest's rules or a flagged change need a person.
    if per_target_gate:
        prepared >> deployed
    else:
        prepared >> gate() >> deployed
    # Every wave ends with its check: the failure tolerance (smoke failures included, rolled back or not), the bake.
    deployed >> WaveCheckOperator(
        task_id=naming.WAVE_CHECK,
        wave=f"{environment.name}/{wave.name}",
        labels=labels,
        task_ids=list(ids.targets),
        failure_tolerance_count=wave.failure_tolerance_count,
        failure_tolerance_percent=wave.failure_tolerance_percent,
        bake_time_seconds=wave.bake_time_seconds,
    )


class _TaskIds:
    """Fully qualified ids of one wave's mapped tasks (``prefix`` is the wave's group path)."""

    def __init__(self, prefix: str) -> None:
        self.package = naming.task_id(prefix, naming.PREPARE_GROUP, naming.PACKAGE)
        self.change_set = naming.task_id(prefix, naming.PREPARE_GROUP, naming.CREATE_CHANGE_SET)
        self.execute = naming.task_id(prefix, naming.DEPLOY_GROUP, naming.EXECUTE_CHANGE_SET)
        self.smoke = naming.task_id(prefix, naming.DEPLOY_GROUP, naming.SMOKE_TEST)
        self.approve = naming.task_id(prefix, naming.APPROVE)
        self.approve_in_deploy = naming.task_id(prefix, naming.DEPLOY_GROUP, naming.APPROVE)

    @property
    def targets(self) -> tuple[str, ...]:
        """The tasks every target of the wave runs, in order."""
        return (self.package, self.change_set, self.execute, self.smoke)


def _doc(plan: ReleasePlan) -> str:
    """The DAG's documentation: a summary whose size does not grow with the number of targets."""
    lines = [f"# Release `{plan.application}`", "", plan.description or "", "", f"Manifest: `{plan.manifest_path}`", ""]
    lines += ["| environment | targets | regions | approval |", "|---|---|---|---|"]
    for environment in plan.environments:
        regions = ", ".join(sorted({target.region for target in environment.targets}))
        approval = ", ".join(environment.approval.approvers) if environment.approval.required else "—"
        lines.append(f"| {environment.name} | {len(environment.targets)} | {regions} | {approval} |")
    return "\n".join(lines)


def manifests_dir() -> Path:
    """Where the release manifests are: ``$FLIGHTDECK_MANIFESTS_DIR``, by default the repo's include/manifests."""
    default = Path(__file__).resolve().parents[2] / "include" / "manifests"
    return Path(os.environ.get("FLIGHTDECK_MANIFESTS_DIR", default))


class InvalidManifests(FlightdeckError):
    """Release manifests that produce no DAG; the message names each file, line and problem."""


def load_release_dags(manifests_dir: Path) -> dict[str, DAG]:
    """Build a DAG for every valid manifest in ``manifests_dir``; a broken manifest never stops the others.

    A task's process parses this file again before it runs; Airflow's parsing context then names the task's DAG,
    and only that DAG's manifest is validated and built (every task would otherwise pay for every manifest).
    """
    only = get_parsing_context().dag_id
    plans, problems = _plans(manifests_dir, only=only)
    for problem in problems:
        log.error("Skipping release manifest: %s", problem)
    dags = [build_release_dag(plan) for plan in plans if only in (None, plan.dag_id)]
    refreshed = [plan for plan in plans if plan.refresh is not None]
    dags += [build_refresh_dag(plan) for plan in refreshed if only in (None, naming.refresh_dag_id(plan.application))]
    return {dag.dag_id: dag for dag in dags}


def release_plans(manifests_dir: Path) -> tuple[list[ReleasePlan], list[str]]:
    """The plans of the valid manifests in ``manifests_dir``, and each problem of the others (a line each)."""
    return _plans(manifests_dir)


def check_release_manifests(manifests_dir: Path) -> None:
    """Raise :class:`InvalidManifests` naming every problem of every invalid manifest in ``manifests_dir``."""
    _, problems = _plans(manifests_dir)
    if problems:
        raise InvalidManifests(f"{len(problems)} release manifest(s) invalid:\n" + "\n".join(problems))


def _plans(manifests_dir: Path, only: str | None = None) -> tuple[list[ReleasePlan], list[str]]:
    """The plans of the valid manifests, and each problem of the others as ``file:line:col: field: message``.

    :param only: a DAG id (release or refresh): read only the manifests of that DAG's application.
    """
    plans: dict[str, ReleasePlan] = {}
    problems: list[str] = []
    for path in discover_manifests(manifests_dir):
        application = manifest_application(path) or ""
        if only is not None and only not in (naming.dag_id(application), naming.refresh_dag_id(application)):
            continue
        try:
            plan = build_plan(load_manifest(path))
        except FlightdeckError as err:
            problems.append(str(err) if "\n" not in str(err) else f"{path}:\n{err}")
            continue
        if plan.dag_id in plans:
            first = plans[plan.dag_id].manifest_path
            problems.append(f"{path}: application {plan.application} is also released by {first}: rename one")
            continue
        plans[plan.dag_id] = plan
    return list(plans.values()), problems
