"""Wait until a change set has been executed, by anyone, and the stack operation it started has finished."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flightdeck.aws.cloudformation import change_set_ran, change_set_status
from flightdeck.aws.session import AccountSession
from flightdeck.aws.stack_guidance import guidance
from flightdeck.aws.stacks import classify_status, describe_stack, explain, failure_reason, last_changed
from flightdeck.triggers.base import CloudFormationTrigger


class StackOperationTrigger(CloudFormationTrigger):
    """Fires when the stack operation of a change set is over, whoever executed the change set.

    Until the change set's execution has started and ended (``cloudformation:DescribeChangeSet``), the trigger
    waits: the task that deferred executed it just before, or the account owner executes it later (after days,
    maybe). A change set that disappears was executed if the stack says so (its ``ChangeSetId``, else a change of
    the stack after the change set was created); otherwise someone discarded it. Then the trigger waits for the
    stack (``DescribeStacks``; ``DescribeStackEvents`` to explain a failure).

    Outcomes: ``complete`` (``*_COMPLETE``, with the stack's outputs), ``failed`` (``*_FAILED``,
    ``ROLLBACK_COMPLETE``, ``UPDATE_ROLLBACK_COMPLETE``…, or the stack is gone; the reason names the resources that
    failed), ``discarded`` (the change set was deleted, or is obsolete, before it ran), ``empty`` / ``failed`` for a
    change set that cannot be executed, ``timeout``, ``error``. Takes the arguments of
    :class:`~flightdeck.triggers.base.CloudFormationTrigger`; polls every 30 s by default.
    """

    default_delay = 30
    # What earlier polls of this run learnt (a restarted trigger learns it again).
    _executed = False  # the change set's execution is over: only the stack is left to watch
    _created_at: datetime | None = None  # the change set's CreationTime

    @property
    def waiting_for(self) -> str:  # type: ignore[override]
        return "the stack operation to finish" if self._executed else "the change set to be executed"

    def poll(self, session: AccountSession) -> dict[str, Any] | None:
        if not self._executed:
            event = self._check_execution(session)
            if event is not None or not self._executed:
                return event
        return self._check_stack(session)

    def _check_execution(self, session: AccountSession) -> dict[str, Any] | None:
        found = change_set_status(session, stack_name=self.stack_name, change_set_id=self.change_set_id)
        if found is None:
            return self._check_gone(session)
        self._created_at = found.created_at or self._created_at
        self.seen("change set", found.status, found.execution_status)
        outcome = found.outcome
        if outcome in ("pending", "ready"):  # nobody executed it yet
            return None
        if outcome != "executed":
            reason = found.reason or f"Change set {self.change_set_id} is {found.status} / {found.execution_status}"
            return self.event(outcome, status=found.status, execution_status=found.execution_status, reason=reason)
        # While it executes, the stack may still show the status its previous operation ended with.
        self._executed = found.execution_status != "EXECUTE_IN_PROGRESS"
        return None

    def _check_gone(self, session: AccountSession) -> dict[str, Any] | None:
        stack = describe_stack(session, self.stack_name)
        changed_at = None
        if stack is not None and not stack.change_set_id and self._created_at is not None:
            changed_at = last_changed(session, self.stack_name)
        if change_set_ran(self.change_set_id, stack, created_at=self._created_at, stack_changed_at=changed_at):
            self.log.info("%s: change set %s ran and is gone", self.stack_name, self.change_set_id)
            self.last_execution_status = ""  # no longer known
            self._executed = True
            return None
        reason = f"Change set {self.change_set_id} no longer exists and did not change the stack"
        if stack is not None and stack.change_set_id:
            reason += f" (changed last by change set {stack.change_set_id})"
        return self.event("discarded", reason=reason)

    def _check_stack(self, session: AccountSession) -> dict[str, Any] | None:
        stack = describe_stack(session, self.stack_name)
        execution_status = self.last_execution_status
        if stack is None:
            return self.event("failed", execution_status=execution_status, reason="The stack does not exist")
        self.seen("stack", stack.status, execution_status)
        outcome = classify_status(stack.status)
        if outcome == "in_progress":
            return None
        if outcome == "complete":
            return self.event(
                "complete",
                status=stack.status,
                execution_status=execution_status,
                reason=stack.reason,
                outputs=stack.outputs,
                termination_protection=stack.termination_protection,
            )
        advice = guidance(stack.status, self.stack_name, self.role_arn.split(":")[4], self.region_name)
        reason = explain(failure_reason(session, self.stack_name) or stack.reason, advice)
        return self.event("failed", status=stack.status, execution_status=execution_status, reason=reason)
