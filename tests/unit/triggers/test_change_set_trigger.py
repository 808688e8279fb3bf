"""ChangeSetReadyTrigger: one poll, one outcome of the change set's statuses."""

from __future__ import annotations

from typing import Any

import pytest

from flightdeck.aws.cloudformation import ChangeSetStatus
from flightdeck.triggers import ChangeSetReadyTrigger, change_set

CHANGE_SET = "arn:aws:cloudformation:eu-west-1:111111111111:changeSet/fd-release-1/abc"
NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."


def _poll(monkeypatch: pytest.MonkeyPatch, found: ChangeSetStatus | None) -> dict[str, Any] | None:
    asked: list[dict[str, Any]] = []

    def fake_status(session: object, **kwargs: Any) -> ChangeSetStatus | None:
        asked.append(kwargs)
        return found

    monkeypatch.setattr(change_set, "change_set_status", fake_status)
    trigger = ChangeSetReadyTrigger(
        stack_name="hello-dev",
        change_set_id=CHANGE_SET,
        role_arn="arn:aws:iam::111111111111:role/flightdeck-deploy",
        region_name="eu-west-1",
        session_name="tests",
    )
    event = trigger.poll(object())  # type: ignore[arg-type]
    assert asked == [{"stack_name": "hello-dev", "change_set_id": CHANGE_SET}]
    if event is not None:
        assert 0 <= event.pop("seconds") < 5  # since the trigger was made: it started the wait
    return event


@pytest.mark.parametrize(
    "found", [ChangeSetStatus("CREATE_PENDING", "UNAVAILABLE"), ChangeSetStatus("CREATE_IN_PROGRESS", "UNAVAILABLE")]
)
def test_keeps_waiting_while_the_change_set_is_created(monkeypatch: pytest.MonkeyPatch, found: ChangeSetStatus) -> None:
    assert _poll(monkeypatch, found) is None


@pytest.mark.parametrize(
    ("found", "outcome"),
    [
        (ChangeSetStatus("CREATE_COMPLETE", "AVAILABLE"), "ready"),
        (ChangeSetStatus("FAILED", "UNAVAILABLE", NO_CHANGES), "empty"),
        (ChangeSetStatus("FAILED", "UNAVAILABLE", "No updates are to be performed."), "empty"),
        (ChangeSetStatus("FAILED", "UNAVAILABLE", "Template format error"), "failed"),
        (ChangeSetStatus("DELETE_COMPLETE", "UNAVAILABLE"), "discarded"),
        (ChangeSetStatus("CREATE_COMPLETE", "EXECUTE_COMPLETE"), "executed"),
    ],
)
def test_outcomes(monkeypatch: pytest.MonkeyPatch, found: ChangeSetStatus, outcome: str) -> None:
    assert _poll(monkeypatch, found) == {
        "outcome": outcome,
        "stack_name": "hello-dev",
        "change_set_id": CHANGE_SET,
        "status": found.status,
        "execution_status": found.execution_status,
        "reason": found.reason,
        "outputs": {},
        "termination_protection": None,
    }


def test_a_change_set_that_does_not_exist_was_discarded(monkeypatch: pytest.MonkeyPatch) -> None:
    event = _poll(monkeypatch, None)
    assert event is not None
    assert (event["outcome"], event["status"]) == ("discarded", "")
    assert event["reason"] == f"Change set {CHANGE_SET} does not exist"
