"""StackOperationTrigger: the change set's execution first (by anyone), then the stack's operation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from flightdeck.aws.cloudformation import ChangeSetStatus
from flightdeck.aws.stack_guidance import guidance
from flightdeck.aws.stacks import StackState
from flightdeck.triggers import StackOperationTrigger, stack

CHANGE_SET = "arn:aws:cloudformation:eu-west-1:111111111111:changeSet/fd-release-1/abc"
OTHER = "arn:aws:cloudformation:eu-west-1:111111111111:changeSet/fd-release-2/def"
CREATED = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
AVAILABLE = ChangeSetStatus("CREATE_COMPLETE", "AVAILABLE", created_at=CREATED)
EXECUTING = ChangeSetStatus("CREATE_COMPLETE", "EXECUTE_IN_PROGRESS", created_at=CREATED)
EXECUTED = ChangeSetStatus("CREATE_COMPLETE", "EXECUTE_COMPLETE", created_at=CREATED)
EXECUTE_FAILED = ChangeSetStatus("CREATE_COMPLETE", "EXECUTE_FAILED", created_at=CREATED)
FAILURES = "Broken (AWS::SSM::Parameter) CREATE_FAILED: Value is required"


def _stack(status: str, change_set_id: str = "", reason: str = "") -> StackState:
    outputs = {"Url": "https://x"}
    return StackState("hello-dev", "stack-id", status, reason, outputs=outputs, change_set_id=change_set_id)


@dataclass
class FakeCloudFormation:
    """What CloudFormation answers, poll after poll (each list's last item repeats); what was asked."""

    change_sets: list[ChangeSetStatus | None]
    stacks: list[StackState | None] = field(default_factory=list)
    changed_at: datetime | None = None
    failures: str = ""
    calls: list[str] = field(default_factory=list)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(stack, "change_set_status", self._change_set)
        monkeypatch.setattr(stack, "describe_stack", self._stack)
        monkeypatch.setattr(stack, "last_changed", self._changed_at)
        monkeypatch.setattr(stack, "failure_reason", self._failures)

    @staticmethod
    def _next(answers: list[Any]) -> Any:
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def _change_set(self, session: object, *, stack_name: str, change_set_id: str) -> ChangeSetStatus | None:
        assert (stack_name, change_set_id) == ("hello-dev", CHANGE_SET)
        self.calls.append("DescribeChangeSet")
        return self._next(self.change_sets)

    def _stack(self, session: object, stack_name: str) -> StackState | None:
        self.calls.append("DescribeStacks")
        return self._next(self.stacks)

    def _changed_at(self, session: object, stack_name: str) -> datetime | None:
        self.calls.append("DescribeStacks (times)")
        return self.changed_at

    def _failures(self, session: object, stack_name: str) -> str:
        self.calls.append("DescribeStackEvents")
        return self.failures


def _trigger() -> StackOperationTrigger:
    return StackOperationTrigger(
        stack_name="hello-dev",
        change_set_id=CHANGE_SET,
        role_arn="arn:aws:iam::111111111111:role/flightdeck-deploy",
        region_name="eu-west-1",
        session_name="tests",
    )


def _polls(cfn: FakeCloudFormation, monkeypatch: pytest.MonkeyPatch, times: int) -> list[dict[str, Any] | None]:
    cfn.install(monkeypatch)
    trigger = _trigger()
    events = [trigger.poll(object()) for _ in range(times)]  # type: ignore[arg-type]
    for event in events:
        if event is not None:
            assert 0 <= event.pop("seconds") < 5
    return events


def _event(outcome: str, status: str = "", execution_status: str = "", reason: str = "", **more: Any) -> dict:
    return {
        "outcome": outcome,
        "stack_name": "hello-dev",
        "change_set_id": CHANGE_SET,
        "status": status,
        "execution_status": execution_status,
        "reason": reason,
        "outputs": {},
        "termination_protection": None,
        **more,
    }


def test_waits_for_someone_to_execute_then_for_the_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    cfn = FakeCloudFormation(
        change_sets=[AVAILABLE, AVAILABLE, EXECUTING, EXECUTED],
        stacks=[_stack("UPDATE_IN_PROGRESS"), _stack("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), _stack("UPDATE_COMPLETE")],
    )
    events = _polls(cfn, monkeypatch, 6)
    assert events[:5] == [None] * 5
    assert events[5] == _event(
        "complete", "UPDATE_COMPLETE", "EXECUTE_COMPLETE", outputs={"Url": "https://x"}, termination_protection=False
    )
    # While the change set executes, the stack may still show its previous operation's status: not read.
    assert cfn.calls == ["DescribeChangeSet"] * 4 + ["DescribeStacks"] * 3


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED"])
def test_a_failed_operation_is_explained(monkeypatch: pytest.MonkeyPatch, status: str) -> None:
    cfn = FakeCloudFormation(
        change_sets=[EXECUTE_FAILED],
        stacks=[_stack(status, reason="The following resource(s) failed: [Broken]")],
        failures=FAILURES,
    )
    [event] = _polls(cfn, monkeypatch, 1)
    # What failed, then what to do about a stack in that state.
    advice = guidance(status, "hello-dev", "111111111111", "eu-west-1")
    assert advice
    assert event == _event("failed", status, "EXECUTE_FAILED", f"{FAILURES}\nWhat to do: {advice}")


def test_the_stack_reason_when_events_say_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    cfn = FakeCloudFormation(change_sets=[EXECUTE_FAILED], stacks=[_stack("UPDATE_FAILED", reason="Stack failed")])
    [event] = _polls(cfn, monkeypatch, 1)
    assert event is not None
    assert event["outcome"] == "failed"
    assert event["reason"].startswith("Stack failed\nWhat to do: ")


def test_a_stack_that_disappears_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    cfn = FakeCloudFormation(change_sets=[EXECUTED], stacks=[_stack("DELETE_IN_PROGRESS"), None])
    assert _polls(cfn, monkeypatch, 2) == [None, _event("failed", "", "EXECUTE_COMPLETE", "The stack does not exist")]


@pytest.mark.parametrize(
    "found", [ChangeSetStatus("DELETE_COMPLETE", "UNAVAILABLE"), ChangeSetStatus("CREATE_COMPLETE", "OBSOLETE")]
)
def test_a_deleted_or_obsolete_change_set_was_discarded(
    monkeypatch: pytest.MonkeyPatch, found: ChangeSetStatus
) -> None:
    cfn = FakeCloudFormation(change_sets=[AVAILABLE, found])
    events = _polls(cfn, monkeypatch, 2)
    assert events[0] is None
    reason = f"Change set {CHANGE_SET} is {found.status} / {found.execution_status}"
    assert events[1] == _event("discarded", found.status, found.execution_status, reason)


@pytest.mark.parametrize(
    ("found", "outcome"),
    [
        (ChangeSetStatus("FAILED", "UNAVAILABLE", "No updates are to be performed."), "empty"),
        (ChangeSetStatus("FAILED", "UNAVAILABLE", "Template format error"), "failed"),
    ],
)
def test_a_change_set_that_cannot_run(monkeypatch: pytest.MonkeyPatch, found: ChangeSetStatus, outcome: str) -> None:
    [event] = _polls(FakeCloudFormation(change_sets=[found]), monkeypatch, 1)
    assert event == _event(outcome, "FAILED", "UNAVAILABLE", found.reason)


def test_gone_after_running_as_the_stack_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """CloudFormation deletes a stack's change sets once one ran: the stack's ChangeSetId tells which."""
    done = _stack("UPDATE_COMPLETE", change_set_id=CHANGE_SET)
    cfn = FakeCloudFormation(change_sets=[AVAILABLE, None], stacks=[done])
    events = _polls(cfn, monkeypatch, 2)
    assert events == [
        None,
        _event("complete", "UPDATE_COMPLETE", outputs={"Url": "https://x"}, termination_protection=False),
    ]
    assert "DescribeStacks (times)" not in cfn.calls


def test_gone_because_another_change_set_ran(monkeypatch: pytest.MonkeyPatch) -> None:
    cfn = FakeCloudFormation(change_sets=[AVAILABLE, None], stacks=[_stack("UPDATE_COMPLETE", change_set_id=OTHER)])
    events = _polls(cfn, monkeypatch, 2)
    reason = f"Change set {CHANGE_SET} no longer exists and did not change the stack"
    reason += f" (changed last by change set {OTHER})"
    assert events == [None, _event("discarded", reason=reason)]


@pytest.mark.parametrize(("changed_at", "ran"), [(LATER, True), (CREATED, False)])
def test_gone_and_the_stack_names_no_change_set(
    monkeypatch: pytest.MonkeyPatch, changed_at: datetime, ran: bool
) -> None:
    cfn = FakeCloudFormation(change_sets=[AVAILABLE, None], stacks=[_stack("UPDATE_COMPLETE")], changed_at=changed_at)
    event = _polls(cfn, monkeypatch, 2)[1]
    assert event is not None
    assert event["outcome"] == ("complete" if ran else "discarded")
    assert "DescribeStacks (times)" in cfn.calls


def test_gone_with_its_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    [event] = _polls(FakeCloudFormation(change_sets=[None], stacks=[None]), monkeypatch, 1)
    assert event is not None
    assert event["outcome"] == "discarded"


def test_waiting_for_says_which_phase() -> None:
    trigger = _trigger()
    assert trigger.waiting_for == "the change set to be executed"
    trigger._executed = True
    assert trigger.waiting_for == "the stack operation to finish"
