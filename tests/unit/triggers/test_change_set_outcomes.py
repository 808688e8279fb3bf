"""Change-set statuses mean one outcome each, and a change set that is gone ran only if the stack says so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flightdeck.aws.cloudformation import ChangeSetStatus, change_set_ran, classify_change_set
from flightdeck.aws.stacks import StackState
from flightdeck.errors import FlightdeckError

NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."
OURS = "arn:aws:cloudformation:eu-west-1:111111111111:changeSet/ours/1"
OTHER = "arn:aws:cloudformation:eu-west-1:111111111111:changeSet/other/2"
CREATED = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
BEFORE, AFTER = datetime(2026, 11, 28, 8, 0, tzinfo=UTC), datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "execution_status", "reason", "outcome"),
    [
        ("CREATE_PENDING", "UNAVAILABLE", "", "pending"),
        ("CREATE_IN_PROGRESS", "UNAVAILABLE", "", "pending"),
        ("CREATE_COMPLETE", "UNAVAILABLE", "", "pending"),  # the stack is busy: not executable yet
        ("CREATE_COMPLETE", "AVAILABLE", "", "ready"),
        ("FAILED", "UNAVAILABLE", NO_CHANGES, "empty"),
        ("FAILED", "UNAVAILABLE", "No updates are to be performed.", "empty"),
        ("FAILED", "UNAVAILABLE", "Template error: unresolved resource dependencies [X]", "failed"),
        ("CREATE_COMPLETE", "EXECUTE_IN_PROGRESS", "", "executed"),
        ("CREATE_COMPLETE", "EXECUTE_COMPLETE", "", "executed"),
        ("CREATE_COMPLETE", "EXECUTE_FAILED", "", "executed"),
        ("CREATE_COMPLETE", "OBSOLETE", "", "discarded"),
        ("DELETE_PENDING", "AVAILABLE", "", "discarded"),
        ("DELETE_IN_PROGRESS", "UNAVAILABLE", "", "discarded"),
        ("DELETE_COMPLETE", "UNAVAILABLE", "", "discarded"),
        ("DELETE_FAILED", "AVAILABLE", "", "discarded"),
    ],
)
def test_classify_change_set(status: str, execution_status: str, reason: str, outcome: str) -> None:
    assert classify_change_set(status, execution_status, reason) == outcome
    assert ChangeSetStatus(status, execution_status, reason).outcome == outcome


@pytest.mark.parametrize(("status", "execution_status"), [("CREATED", "AVAILABLE"), ("CREATE_COMPLETE", "READY")])
def test_unknown_change_set_statuses_raise(status: str, execution_status: str) -> None:
    with pytest.raises(FlightdeckError, match="Unknown CloudFormation"):
        classify_change_set(status, execution_status)


def _stack(status: str = "UPDATE_COMPLETE", change_set_id: str = "") -> StackState:
    return StackState("app", "stack-id", status, "", change_set_id=change_set_id)


@pytest.mark.parametrize(
    ("stack", "created_at", "changed_at", "ran"),
    [
        (_stack(change_set_id=OURS), None, None, True),
        (_stack("UPDATE_ROLLBACK_COMPLETE", OURS), None, None, True),  # it ran, and failed
        (_stack(change_set_id=OTHER), CREATED, AFTER, False),  # another change set changed the stack
        (_stack(), CREATED, AFTER, True),  # no ChangeSetId: the stack changed after the change set was made
        (_stack(), CREATED, BEFORE, False),  # the stack did not change since: someone deleted it
        (_stack(), None, AFTER, False),  # cannot tell: not executed
        (_stack(), CREATED, None, False),
        (_stack("REVIEW_IN_PROGRESS"), CREATED, AFTER, False),  # a new stack nobody created
        (None, CREATED, AFTER, False),
    ],
    ids=["names-it", "names-it-failed", "names-another", "changed-after", "unchanged", "no-creation-time",
         "no-change-time", "in-review", "no-stack"],
)  # fmt: skip
def test_change_set_ran(stack: StackState | None, created_at: datetime, changed_at: datetime, ran: bool) -> None:
    assert change_set_ran(OURS, stack, created_at=created_at, stack_changed_at=changed_at) is ran
