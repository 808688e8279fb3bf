"""Execute the target's change set, exactly as approved, and wait for the stack."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck import naming
from flightdeck.aws.change_review import snapshot_change_set
from flightdeck.aws.cloudformation import execute_change_set
from flightdeck.aws.session import AccountSession
from flightdeck.aws.stack_options import apply_stack_options
from flightdeck.aws.stacks import describe_stack
from flightdeck.changes import ChangeSummary
from flightdeck.errors import DeploymentError, FlightdeckError
from flightdeck.operators.base import TargetOperator
from flightdeck.operators.review import review_snapshot
from flightdeck.triggers import StackOperationTrigger


class ExecuteChangeSetOperator(TargetOperator):
    """Execute the change set the prepare step created for this target, if it is the one approved.

    Before executing, the change set is read again: its id and fingerprint (template, parameters, change summary)
    must be those the gate recorded, or execute refuses. An empty change set is skipped; so is everything in a
    dry run.

    With ``execution="account-owner"`` it does not execute: after the same check it defers until the account's
    owner has executed the change set (console or ``flightdeck execute``) and the stack operation has finished,
    holding no worker slot however long that takes.

    :param change_set_task_id: the task whose XCom describes this target's change set.
    :param approval_task_id: the gate whose XCom records what was approved.
    :param approval_per_target: the gate is mapped per target (its XCom is this instance's map index).
    :param execution: ``orchestrator`` (the deploy role executes) or ``account-owner``.
    :param owner_poll_seconds: how often to look whether the owner has executed the change set.
    """

    ui_color = "#e8fbe9"

    def __init__(
        self,
        *,
        change_set_task_id: str,
        approval_task_id: str,
        approval_per_target: bool = False,
        execution: str = "orchestrator",
        owner_poll_seconds: float = 15,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.change_set_task_id = change_set_task_id
        self.approval_task_id = approval_task_id
        self.approval_per_target = approval_per_target
        self.execution = execution
        self.owner_poll_seconds = owner_poll_seconds

    def execute(self, context: Context) -> dict[str, Any]:
        target = self.target
        if context["params"].get("dry_run"):
            raise AirflowSkipException(f"{target.label}: dry run, nothing is executed.")
        change_set = self.pull_own_index(context, self.change_set_task_id)
        session = self.target_session(context)
        if change_set["is_empty"]:
            # Protection and stack policy are not part of a change set: apply them even when nothing changed.
            apply_stack_options(session, stack_name=target.stack_name, options=self.stack_options)
            raise AirflowSkipException(f"{target.label}: no changes to {target.stack_name}; nothing to execute.")
        self._check_approved(context, session, change_set)
        if self.execution == "account-owner":
            self._wait_for_owner(context, change_set["id"])  # defers: resumes in owner_executed
        stack = execute_change_set(session, stack_name=target.stack_name, change_set_id=change_set["id"])
        apply_stack_options(session, stack_name=target.stack_name, options=self.stack_options)
        self.log.info("%s: stack %s is %s", target.label, stack.name, stack.status)
        return {"status": stack.status, "outputs": stack.outputs}

    def _wait_for_owner(self, context: Context, change_set_id: str) -> None:
        target = self.target
        self.log.info(
            "%s: waiting for the account's owner to execute change set %s (CloudFormation console, or "
            "`flightdeck execute %s` with the owner's credentials)",
            target.label,
            change_set_id,
            change_set_id,
        )
        self.defer(
            trigger=StackOperationTrigger(
                stack_name=target.stack_name,
                change_set_id=change_set_id,
                role_arn=target.deploy_role_arn,
                region_name=target.region,
                session_name=naming.sts_session_name(context["dag"].dag_id, context["run_id"], target.account_id),
                external_id=target.external_id,
                aws_conn_id=self.aws_conn_id,
                waiter_delay=self.owner_poll_seconds,
            ),
            method_name="owner_executed",
        )

    def owner_executed(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Resume after the owner's execution: the stack operation's outcome, as the trigger saw it."""
        target = self.target
        outcome, reason = event["outcome"], event.get("reason") or ""
        if outcome == "complete":
            apply_stack_options(self.target_session(context), stack_name=target.stack_name, options=self.stack_options)
            executed = event["change_set_id"]
            self.log.info("%s: the owner executed %s; stack is %s", target.label, executed, event["status"])
            return {"status": event["status"], "outputs": event.get("outputs") or {}}
        if outcome == "discarded":
            raise FlightdeckError(
                f"{target.label}: change set {event['change_set_id']} was deleted or replaced before anyone executed "
                f"it ({reason}); nothing of this release was deployed there. Clear the wave to prepare it again"
            )
        raise DeploymentError(
            f"The account owner's execution of {event['change_set_id']} ended {outcome}",
            account=target.account_id,
            region=target.region,
            stack=target.stack_name,
            status=event.get("status") or "",
            reason=reason,
        )

    def _check_approved(self, context: Context, session: AccountSession, change_set: dict[str, Any]) -> None:
        """Refuse unless the change set is the one approved and still changes exactly what the approver saw."""
        target = self.target
        ti = context["ti"]
        record = (
            ti.xcom_pull(task_ids=self.approval_task_id, map_indexes=ti.map_index)
            if self.approval_per_target
            else ti.xcom_pull(task_ids=self.approval_task_id)
        )
        approved = (record or {}).get("change_sets", {}).get(target.label)
        if approved is None:
            raise FlightdeckError(
                f"{target.label}: no approval is recorded for change set {change_set['id']}: clear the wave's gate "
                "(and what follows it) so it is reviewed again"
            )
        if approved["id"] != change_set["id"]:
            raise FlightdeckError(
                f"{target.label}: change set {change_set['id']} is not the one approved ({approved['id']}): it was "
                "recreated after the approval. Nothing was executed; clear the wave's gate so the new one is reviewed"
            )
        try:
            snapshot = snapshot_change_set(session, stack_name=target.stack_name, change_set_id=change_set["id"])
        except DeploymentError as err:
            stack = describe_stack(session, target.stack_name)
            if stack is not None and stack.change_set_id == change_set["id"]:
                self.log.warning("%s: change set %s ran already", target.label, change_set["id"])
                return  # a retry after the execution: execute_change_set waits for the stack
            raise FlightdeckError(
                f"{target.label}: the approved change set {change_set['id']} cannot be read any more ({err}); "
                "someone changed the stack or deleted the change set since the approval. Nothing was executed; "
                "clear the wave from its prepare step so the change is reviewed again"
            ) from err
        if snapshot.execution_status != "AVAILABLE":
            self.log.warning("%s: change set %s is %s already", target.label, snapshot.change_set_id, snapshot.status)
            return  # executing or executed (a retry): execute_change_set waits for the stack, never runs it twice
        current = review_snapshot(snapshot, target, change_set["parameter_versions"])
        if current.fingerprint != approved["fingerprint"]:
            shown = ChangeSummary.from_dict(change_set["review"]["summary"]).headline()
            raise FlightdeckError(
                f"{target.label}: change set {change_set['id']} no longer changes what was approved (approved: "
                f"{shown}; now: {current.summary.headline()}; fingerprint {approved['fingerprint'][:12]} → "
                f"{current.fingerprint[:12]}), so the stack or its template changed since. Nothing was executed; "
                "clear the wave from its prepare step so the change is reviewed again"
            )
        by = record.get("approved_by", "?") if record else "?"
        self.log.info("%s: executing change set %s as approved by %s", target.label, change_set["id"], by)
