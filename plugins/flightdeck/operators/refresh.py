"""Redeploy a target's last verified release with a drift-aware change set, execute it, and smoke-test it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck import naming
from flightdeck.aws.cloudformation import describe_stack, read_change_set, start_execution
from flightdeck.aws.releases import ReleaseRecord, record_key
from flightdeck.aws.session import AccountSession
from flightdeck.aws.stack_options import apply_stack_options
from flightdeck.errors import DeploymentError, FlightdeckError
from flightdeck.ledger import Outcome
from flightdeck.operators.base import fail_fast, trigger_failure
from flightdeck.operators.redeploy import start_recorded_release
from flightdeck.operators.refresh_records import RefreshStep, records_failure
from flightdeck.plan import SmokeCheck
from flightdeck.smoke import CheckResult, failed_checks, placeholders_for, run_checks, summary
from flightdeck.triggers import ChangeSetReadyTrigger, StackOperationTrigger

REVERT_DRIFT = "REVERT_DRIFT"
RESULTS_KEY = "smoke_results"  # XCom of the smoke results (as the release's smoke test pushes them)


class RefreshChangeSetOperator(RefreshStep):
    """A drift-aware change set (``REVERT_DRIFT``) of the target's last verified release.

    The release recorded in the target's artifact bucket when its smoke tests last passed (the one rollback
    returns to): the same immutable template, each parameter read at the version read then. Drift-aware, the change
    set also puts every drifted property back to its template value; a normal one would be empty when only drift
    differs. Waiting for it is deferred (:class:`ChangeSetReadyTrigger`). Empty means nothing to repair.

    :param application: application name (a stack tag, where the record is kept).
    :param capabilities: CloudFormation capabilities to acknowledge.
    :param poll_seconds: how often the trigger looks at the change set.
    """

    ui_color = "#fbf3e8"

    def __init__(
        self, *, application: str, capabilities: Sequence[str], poll_seconds: float = 5, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.application = application
        self.capabilities = list(capabilities)
        self.poll_seconds = poll_seconds

    @fail_fast
    @records_failure
    def execute(self, context: Context) -> dict[str, Any]:
        target = self.target
        detected = self.detected(context)
        if detected is None:
            raise AirflowSkipException(f"{target.label}: no stack was checked, so there is nothing to redeploy")
        if detected["record"] is None:
            where = f"s3://{target.artifact_bucket}/{record_key(self.application, target.stack_name)}"
            raise FlightdeckError(
                f"{target.label}: no verified release of {target.stack_name} is recorded ({where}, account "
                f"{target.account_id}, region {target.region}), so there is no promoted version to redeploy: "
                f"release a version to {target.environment} (passing its smoke tests records it)"
            )
        record = ReleaseRecord.from_dict(detected["record"])
        session = self.target_session(context)
        started = start_recorded_release(
            session,
            target,
            record,
            change_set_name=naming.refresh_change_set_name(context["run_id"], target.label),
            description=f"{self.application} refresh of {record.version} ({context['run_id']})",
            capabilities=self.capabilities,
            options=self.stack_options,
            deployment_mode=REVERT_DRIFT,
        )
        trigger = ChangeSetReadyTrigger(
            stack_name=target.stack_name,
            change_set_id=started.id,
            **self.trigger_arguments(context),
            waiter_delay=self.poll_seconds,
        )
        prepared = {"change_set_type": started.change_set_type, "version": record.version}
        event = trigger.poll(session)
        if event is None:
            self.defer(trigger=trigger, method_name="change_set_settled", kwargs={"prepared": prepared})
        return self._report(session, event, prepared)

    @fail_fast
    @records_failure
    def change_set_settled(self, context: Context, event: dict[str, Any], prepared: dict[str, Any]) -> dict[str, Any]:
        """Resume when CloudFormation has finished the change set."""
        return self._report(self.target_session(context), event, prepared)

    def _report(self, session: AccountSession, event: dict[str, Any], prepared: dict[str, Any]) -> dict[str, Any]:
        target = self.target
        if event["outcome"] not in ("ready", "empty"):
            raise trigger_failure(
                target, event, f"Change set {event['change_set_id']} is not ready ({event['outcome']})"
            )
        change_set = read_change_set(
            session,
            stack_name=target.stack_name,
            change_set_id=event["change_set_id"],
            change_set_type=prepared["change_set_type"],
        )
        if change_set.is_empty:
            self.log.info(
                "%s: %s matches %s: nothing to redeploy", target.label, target.stack_name, prepared["version"]
            )
        else:
            changes = ", ".join(f"{c.action} {c.logical_id} ({c.resource_type})" for c in change_set.changes)
            self.log.info("%s: redeploying %s puts back: %s", target.label, prepared["version"], changes or "?")
        return {**change_set.to_dict(), "label": target.label, "version": prepared["version"]}


class RefreshExecuteOperator(RefreshStep):
    """Execute the target's refresh change set once its environment's gate let it (deferred while the stack changes).

    Skipped when the change set is empty (the stack runs its last verified release, without drift).

    :param change_set_task_id: the task whose XCom describes the change set.
    :param approval_task_id: the environment's gate (its XCom names each change set it let through).
    :param poll_seconds: how often the trigger looks at the stack.
    """

    ui_color = "#e8fbe9"

    def __init__(self, *, change_set_task_id: str, approval_task_id: str, poll_seconds: float = 5, **kwargs: Any):
        super().__init__(**kwargs)
        self.change_set_task_id = change_set_task_id
        self.approval_task_id = approval_task_id
        self.poll_seconds = poll_seconds

    @fail_fast
    @records_failure
    def execute(self, context: Context) -> dict[str, Any]:
        target = self.target
        change_set = self.pull_own_index(context, self.change_set_task_id)
        if change_set is None:
            raise AirflowSkipException(f"{target.label}: no refresh change set was made; nothing to execute")
        session = self.target_session(context)
        if change_set["is_empty"]:
            apply_stack_options(session, stack_name=target.stack_name, options=self.stack_options)
            raise AirflowSkipException(f"{target.label}: {target.stack_name} is in sync; nothing to execute")
        gate = context["ti"].xcom_pull(task_ids=self.approval_task_id) or {}
        let_through = (gate.get("change_sets") or {}).get(target.label)
        if let_through != change_set["id"]:
            raise FlightdeckError(
                f"{target.label}: change set {change_set['id']} was not let through by the environment's gate "
                f"({naming.APPROVE}): clear the environment's refresh so it is made and approved again"
            )
        start_execution(session, stack_name=target.stack_name, change_set_id=change_set["id"])
        trigger = StackOperationTrigger(
            stack_name=target.stack_name,
            change_set_id=change_set["id"],
            **self.trigger_arguments(context),
            waiter_delay=self.poll_seconds,
        )
        event = trigger.poll(session)
        if event is None:
            self.defer(trigger=trigger, method_name="operation_finished")
        return self._finish(session, event)

    @fail_fast
    @records_failure
    def operation_finished(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Resume when the stack operation is over."""
        return self._finish(self.target_session(context), event)

    def _finish(self, session: AccountSession, event: dict[str, Any]) -> dict[str, Any]:
        target = self.target
        if event["outcome"] != "complete":
            raise trigger_failure(target, event, f"The refresh of {target.stack_name} ended {event['outcome']}")
        apply_stack_options(session, stack_name=target.stack_name, options=self.stack_options)
        self.log.info("%s: redeployed; %s is %s", target.label, target.stack_name, event["status"])
        return {"status": event["status"], "change_set_id": event["change_set_id"]}


class RefreshSmokeOperator(RefreshStep):
    """Run the manifest's smoke checks against the refreshed stack and end the target's refresh attempt.

    Runs whenever the stack was checked for drift (also when nothing needed redeploying): a failed check fails the
    task and the attempt, with the results (no rollback: the stack runs its last verified release already).

    :param checks: the plan's smoke checks.
    :param change_set_task_id: the task that made the refresh change set (no XCom when it failed).
    :param execute_task_id: the task that executed the refresh change set (no XCom when there was nothing to do).
    """

    ui_color = "#fbe8e8"

    def __init__(
        self, *, checks: Sequence[SmokeCheck], change_set_task_id: str, execute_task_id: str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.checks = tuple(checks)
        self.change_set_task_id = change_set_task_id
        self.execute_task_id = execute_task_id

    @fail_fast
    @records_failure
    def execute(self, context: Context) -> list[CheckResult]:
        target = self.target
        detected = self.detected(context)
        if detected is None:
            raise AirflowSkipException(f"{target.label}: no stack was checked; nothing to test")
        if self.pull_own_index(context, self.change_set_task_id) is None:  # its failure is recorded already
            raise AirflowSkipException(f"{target.label}: no refresh change set was made; see its create_change_set")
        session = self.target_session(context)
        stack = describe_stack(session, target.stack_name)
        if stack is None:
            raise DeploymentError("Smoke test found no stack", account=target.account_id, region=target.region)
        results = run_checks(session, stack.outputs, self.checks, placeholders_for(target, detected["version"]))
        for result in results:
            self.log.info("Smoke check %s on %s: %s", result["check"], target.label, summary(result))
        context["ti"].xcom_push(key=RESULTS_KEY, value=results)
        redeployed = self.pull_own_index(context, self.execute_task_id) is not None
        drifted = [resource["logical_id"] for resource in detected["drift"]["resources"]]
        story = (
            f"drift {detected['drift']['status']}"
            + (f" ({', '.join(drifted)})" if drifted else "")
            + (f"; {detected['version']} redeployed" if redeployed else f"; {detected['version']} still deployed")
        )
        if failed_checks(results):
            raise DeploymentError(
                f"Smoke test after the refresh failed ({story})",
                account=target.account_id,
                region=target.region,
                stack=target.stack_name,
                reason=failed_checks(results),
            )
        self.finish_attempt(context, Outcome.SUCCEEDED, f"{story}; {len(results)} smoke check(s) passed")
        return results
