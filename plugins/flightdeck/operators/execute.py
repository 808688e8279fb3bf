"""Execute the target's change set, exactly as approved, and wait for the stack."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck.aws.change_review import snapshot_change_set
from flightdeck.aws.cloudformation import ChangeSetStatus, change_set_status, start_execution
from flightdeck.aws.session import AccountSession
from flightdeck.aws.stack_options import apply_stack_options
from flightdeck.aws.stacks import StackState, describe_stack
from flightdeck.changes import ChangeSummary
from flightdeck.errors import DeploymentError, FlightdeckError
from flightdeck.operators.base import TargetOperator, fail_fast, trigger_failure
from flightdeck.operators.recording import current_attempt, expected_durations, note_durations
from flightdeck.operators.review import review_snapshot
from flightdeck.triggers import StackOperationTrigger
from flightdeck.triggers.schedule import first_look_pays

_RESUME = "operation_finished"


class ExecuteChangeSetOperator(TargetOperator):
    """Execute the change set the prepare step created for this target, if it is the one approved.

    Before executing, the change set is read again: its id and fingerprint (template, parameters, change summary)
    must be those the gate recorded, or execute refuses. An empty change set is skipped; so is everything in a
    dry run, and a target whose prepare step failed. Waiting for the stack operation is deferred
    (:class:`StackOperationTrigger`): no worker slot is held, and the trigger looks when the target's previous
    operation (release ledger) would have ended; how long this one took is recorded for the next. A retry or
    clear never executes twice: a change set that is executing or executed already is waited for instead.

    With ``execution="account-owner"`` it does not execute: after the same check it defers until the account's
    owner has executed the change set (console or ``flightdeck execute``) and the stack operation has finished,
    holding no worker slot however long that takes.

    :param application: application name (its attempts in the release ledger).
    :param change_set_task_id: the task whose XCom describes this target's change set.
    :param approval_task_id: the gate whose XCom records what was approved.
    :param approval_per_target: the gate is mapped per target (its XCom is this instance's map index).
    :param execution: ``orchestrator`` (the deploy role executes) or ``account-owner``.
    :param poll_seconds: how often the trigger looks at the stack while it changes, when the previous operation's
        time is unknown.
    :param owner_poll_seconds: how often to look whether the owner has executed the change set.
    """

    ui_color = "#e8fbe9"

    def __init__(
        self,
        *,
        application: str,
        change_set_task_id: str,
        approval_task_id: str,
        approval_per_target: bool = False,
        execution: str = "orchestrator",
        poll_seconds: float = 5,
        owner_poll_seconds: float = 15,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.application = application
        self.change_set_task_id = change_set_task_id
        self.approval_task_id = approval_task_id
        self.approval_per_target = approval_per_target
        self.execution = execution
        self.poll_seconds = poll_seconds
        self.owner_poll_seconds = owner_poll_seconds

    @fail_fast
    def execute(self, context: Context) -> dict[str, Any]:
        target = self.target
        if context["params"].get("dry_run"):
            raise AirflowSkipException(f"{target.label}: dry run, nothing is executed.")
        change_set = self.pull_own_index(context, self.change_set_task_id)
        if change_set is None:
            raise AirflowSkipException(f"{target.label}: its prepare step made no change set; nothing to execute.")
        self.stop_if_wave_failed(context, "deployment")
        current_attempt(context, target, self.application)  # back in progress when a cleared execute runs again
        session = self.target_session(context)
        if change_set["is_empty"]:
            # Protection and stack policy are not part of a change set: apply them even when nothing changed.
            apply_stack_options(session, stack_name=target.stack_name, options=self.stack_options)
            raise AirflowSkipException(f"{target.label}: no changes to {target.stack_name}; nothing to execute.")
        found = change_set_status(session, stack_name=target.stack_name, change_set_id=change_set["id"])
        stack = describe_stack(session, target.stack_name)
        self._check_approved(context, session, change_set, found, stack)
        if self.execution == "account-owner":
            self.log.info(
                "%s: waiting for the account's owner to execute change set %s (CloudFormation console, or "
                "`flightdeck execute %s` with the owner's credentials)",
                target.label,
                change_set["id"],
                change_set["id"],
            )
            self.defer(trigger=self._trigger(context, change_set["id"], self.owner_poll_seconds), method_name=_RESUME)
        start_execution(session, stack_name=target.stack_name, change_set_id=change_set["id"], known=(found, stack))
        # Timed only when it starts now: a retry while (or after) it ran does not know when it began.
        timed = found is not None and found.execution_status == "AVAILABLE"
        expected = expected_durations(target, self.application).operation_seconds if timed else None
        trigger = self._trigger(context, change_set["id"], self.poll_seconds, expected)
        # One look first when the operation may be over already: then no deferral is needed.
        event = trigger.poll(session) if first_look_pays(expected) else None
        if event is None:
            self.log.info("%s: waiting for stack %s (deferred)", target.label, target.stack_name)
            self.defer(trigger=trigger, method_name=_RESUME, kwargs={"timed": timed})
        return self._finish(context, session, event, timed=timed)

    @fail_fast
    def operation_finished(self, context: Context, event: dict[str, Any], timed: bool = False) -> dict[str, Any]:
        """Resume when the stack operation is over (whoever executed the change set), as the trigger saw it.

        ``timed``: this try started the operation, so the event's ``seconds`` are its duration (recorded).
        """
        return self._finish(context, self.target_session(context), event, timed=timed)

    def _trigger(
        self, context: Context, change_set_id: str, poll_seconds: float, expected: float | None = None
    ) -> StackOperationTrigger:
        return StackOperationTrigger(
            stack_name=self.target.stack_name,
            change_set_id=change_set_id,
            **self.trigger_arguments(context),
            waiter_delay=poll_seconds,
            expected_seconds=expected,
        )

    def _finish(
        self, context: Context, session: AccountSession, event: dict[str, Any], *, timed: bool = False
    ) -> dict[str, Any]:
        target = self.target
        outcome, reason = event["outcome"], event.get("reason") or ""
        who = "the account's owner" if self.execution == "account-owner" else "Flightdeck"
        if outcome == "complete":
            if timed and self.execution == "orchestrator":
                note_durations(context, target, self.application, operation_seconds=event.get("seconds"))
            protected = event.get("termination_protection")
            apply_stack_options(session, stack_name=target.stack_name, options=self.stack_options, protected=protected)
            self.log.info("%s: %s executed %s; stack is %s", target.label, who, event["change_set_id"], event["status"])
            return {"status": event["status"], "outputs": event.get("outputs") or {}}
        if outcome == "discarded":
            raise FlightdeckError(
                f"{target.label}: change set {event['change_set_id']} was deleted or replaced before it was executed "
                f"({reason}); nothing of this release was deployed there. Clear the wave to prepare it again"
            )
        raise trigger_failure(
            target, event, f"The execution of change set {event['change_set_id']} by {who} ended {outcome}"
        )

    def _check_approved(
        self,
        context: Context,
        session: AccountSession,
        change_set: dict[str, Any],
        found: ChangeSetStatus | None,
        stack: StackState | None,
    ) -> None:
        """Refuse unless the change set is the one approved and still changes exactly what the approver saw.

        ``found`` and ``stack`` are the change set and the stack as just read. A change set cannot be edited, so
        while the stack has not changed since the review (same last-change time) it changes what was approved;
        otherwise it is read again (templates included) and its fingerprint must be the approved one.
        """
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
        if found is None:
            if stack is not None and stack.change_set_id == change_set["id"]:
                self.log.warning("%s: change set %s ran already", target.label, change_set["id"])
                return  # a retry after the execution: the stack is waited for, nothing runs twice
            raise FlightdeckError(
                f"{target.label}: the approved change set {change_set['id']} does not exist any more; someone "
                "changed the stack or deleted the change set since the approval. Nothing was executed; clear the "
                "wave from its prepare step so the change is reviewed again"
            )
        if found.execution_status != "AVAILABLE":
            self.log.warning("%s: change set %s is %s already", target.label, change_set["id"], found.execution_status)
            return  # executing or executed (a retry): the stack is waited for, nothing runs twice
        review = change_set.get("review") or {}
        if review.get("fingerprint") == approved["fingerprint"] and _unchanged_since_review(stack, review):
            self.log.info("%s: stack %s unchanged since the review", target.label, target.stack_name)
            self._log_approved(record, change_set["id"], target.label)
            return
        try:
            snapshot = snapshot_change_set(session, stack_name=target.stack_name, change_set_id=change_set["id"])
        except DeploymentError as err:
            raise FlightdeckError(
                f"{target.label}: the approved change set {change_set['id']} cannot be read any more ({err}); "
                "someone changed the stack or deleted the change set since the approval. Nothing was executed; "
                "clear the wave from its prepare step so the change is reviewed again"
            ) from err
        current = review_snapshot(snapshot, target, change_set["parameter_versions"])
        if current.fingerprint != approved["fingerprint"]:
            shown = ChangeSummary.from_dict(change_set["review"]["summary"]).headline()
            raise FlightdeckError(
                f"{target.label}: change set {change_set['id']} no longer changes what was approved (approved: "
                f"{shown}; now: {current.summary.headline()}; fingerprint {approved['fingerprint'][:12]} → "
                f"{current.fingerprint[:12]}), so the stack or its template changed since. Nothing was executed; "
                "clear the wave from its prepare step so the change is reviewed again"
            )
        self._log_approved(record, change_set["id"], target.label)

    def _log_approved(self, record: dict[str, Any] | None, change_set_id: str, label: str) -> None:
        by = record.get("approved_by", "?") if record else "?"
        self.log.info("%s: executing change set %s as approved by %s", label, change_set_id, by)


def _unchanged_since_review(stack: StackState | None, review: dict[str, Any]) -> bool:
    """Whether no operation changed the stack since the change set was reviewed (a new stack: still in review)."""
    if stack is None or "stack_changed_at" not in review:
        return False
    reviewed = review["stack_changed_at"]
    if not reviewed:
        return stack.status == "REVIEW_IN_PROGRESS"
    return stack.last_changed_at == reviewed
