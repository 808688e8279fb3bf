"""Smoke-test a deployed target: run the plan's checks against its stack and attach the results to the run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import Context, timezone
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck.aws.cloudformation import describe_stack
from flightdeck.aws.releases import ReleaseRecord, write_release_record
from flightdeck.aws.session import AccountSession
from flightdeck.errors import DeploymentError
from flightdeck.ledger import Outcome
from flightdeck.operators.base import fail_fast
from flightdeck.operators.recording import finish_deploy
from flightdeck.operators.rollback import SmokeRollback
from flightdeck.operators.rollout import NEVER_STARTED
from flightdeck.plan import RollbackRules, SmokeCheck
from flightdeck.smoke import CheckResult, failed_checks, placeholders_for, run_checks, summary

RESULTS_KEY = "smoke_results"  # XCom of every result, pushed before the task passes or fails


class SmokeTestOperator(SmokeRollback):
    """Run the manifest's smoke checks against the target's stack; any failed check fails the task.

    Skipped in a dry run, and for a target this release did not deploy (its prepare step failed, or it never
    started because its wave had failed). The results (a ``CheckResult`` of each check) are the task's return value,
    and also the XCom ``smoke_results``, pushed before the task passes or fails. When every check passes, the
    release is recorded as the target's last verified one (:mod:`flightdeck.aws.releases`): what a later rollback
    returns to.

    :param checks: the plan's smoke checks.
    :param change_set_task_id: the task whose XCom describes this target's change set.
    :param execute_task_id: the task that executed it.
    :param application: application name (where the record is kept).
    :param package_task_id: the task whose XCom names the packaged template.
    :param capabilities: CloudFormation capabilities to acknowledge (for a rollback's change set).
    :param rollback_rules: the environment's rules: roll back after a failed smoke test (see
        :class:`~flightdeck.operators.rollback.SmokeRollback`), delete a stack this release created.
    :param poll_seconds: how often a rollback's triggers look at CloudFormation.
    """

    ui_color = "#fbe8e8"

    def __init__(
        self,
        *,
        checks: Sequence[SmokeCheck],
        change_set_task_id: str,
        execute_task_id: str,
        application: str,
        package_task_id: str,
        capabilities: Sequence[str] = (),
        rollback_rules: RollbackRules | None = None,
        poll_seconds: float = 5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.checks = tuple(checks)
        self.capabilities = list(capabilities)
        self.rollback_rules = rollback_rules or RollbackRules()
        self.poll_seconds = poll_seconds
        self.change_set_task_id = change_set_task_id
        self.execute_task_id = execute_task_id
        self.application = application
        self.package_task_id = package_task_id

    @fail_fast
    def execute(self, context: Context) -> list[CheckResult]:
        target = self.target
        if context["params"].get("dry_run"):
            raise AirflowSkipException(f"{target.label}: dry run, nothing was deployed to test.")
        change_set = self.pull_own_index(context, self.change_set_task_id)
        if change_set is None:
            raise AirflowSkipException(f"{target.label}: its prepare step made no change set; nothing to test.")
        ti = context["ti"]
        if ti.xcom_pull(task_ids=self.execute_task_id, key=NEVER_STARTED, map_indexes=ti.map_index):
            raise AirflowSkipException(f"{target.label}: not deployed (its wave had failed); nothing to test.")
        session = self.target_session(context)
        stack = describe_stack(session, target.stack_name)
        if stack is None:
            raise DeploymentError(
                "Smoke test found no stack",
                account=target.account_id,
                region=target.region,
                stack=target.stack_name,
            )
        placeholders = placeholders_for(target, context["params"]["version"])
        results = run_checks(session, stack.outputs, self.checks, placeholders)
        for result in results:
            check, kind = result["check"], result["kind"]
            self.log.info("Smoke check %s (%s) on %s: %s", check, kind, target.label, summary(result))
        ti.xcom_push(key=RESULTS_KEY, value=results)
        failed = [result for result in results if not result["passed"]]
        if failed:
            failure = DeploymentError(
                f"Smoke test failed: {len(failed)} of {len(results)} checks",
                account=target.account_id,
                region=target.region,
                stack=target.stack_name,
                reason=failed_checks(results),
            )
            self.roll_back(context, session, change_set, failure)  # raises, after the rollback if there is one
        self._record(context, session, change_set)
        finish_deploy(context, target, self.application, Outcome.SUCCEEDED, f"{len(results)} smoke check(s) passed")
        return results

    def _record(self, context: Context, session: AccountSession, change_set: dict[str, Any]) -> None:
        """Record this release as the target's last verified one (template, digest, parameter versions)."""
        target = self.target
        package = self.pull_own_index(context, self.package_task_id) or {}
        record = ReleaseRecord(
            application=self.application,
            environment=target.environment,
            stack_name=target.stack_name,
            version=context["params"]["version"],
            run_id=context["run_id"],
            digest=change_set.get("digest", ""),
            template_url=package.get("template_url", ""),
            parameter_versions=dict(change_set.get("parameter_versions") or {}),
            recorded_at=timezone.utcnow().isoformat(),
        )
        write_release_record(session, target.artifact_bucket, record)
