"""Wait until a change set is created: ready to execute, empty, or failed."""

from __future__ import annotations

from typing import Any

from flightdeck.aws.cloudformation import change_set_status
from flightdeck.aws.session import AccountSession
from flightdeck.triggers.base import CloudFormationTrigger


class ChangeSetReadyTrigger(CloudFormationTrigger):
    """Fires when the change set is no longer being created (``cloudformation:DescribeChangeSet`` per poll).

    Outcomes: ``ready`` (CREATE_COMPLETE and AVAILABLE), ``empty`` (nothing to change: a distinct outcome, not a
    failure), ``failed``, ``discarded`` (deleted or obsolete), ``executed`` (someone executed it already),
    ``timeout``, ``error``. Takes the arguments of :class:`~flightdeck.triggers.base.CloudFormationTrigger`; polls
    every 5 s by default.
    """

    default_delay = 5
    waiting_for = "the change set to be created"

    def poll(self, session: AccountSession) -> dict[str, Any] | None:
        found = change_set_status(session, stack_name=self.stack_name, change_set_id=self.change_set_id)
        if found is None:
            return self.event("discarded", reason=f"Change set {self.change_set_id} does not exist")
        self.seen("change set", found.status, found.execution_status)
        outcome = found.outcome
        if outcome == "pending":
            return None
        return self.event(outcome, status=found.status, execution_status=found.execution_status, reason=found.reason)
