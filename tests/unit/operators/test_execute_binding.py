"""Execute runs only the change set that was approved, and only while it changes what the approver saw."""

from __future__ import annotations

from typing import Any

import pytest
from operator_samples import prod_target

from flightdeck.aws.change_review import ChangeSetSnapshot
from flightdeck.aws.cloudformation import ChangeSetStatus
from flightdeck.aws.stacks import StackState
from flightdeck.errors import FlightdeckError
from flightdeck.operators import execute as execute_module
from flightdeck.operators.execute import ExecuteChangeSetOperator
from flightdeck.operators.review import review_snapshot
from flightdeck.plan import TargetCatalog

LABEL = "prod/333333333333/eu-west-1"
CHANGE_SET_ID = "arn:aws:cloudformation:eu-west-1:333333333333:changeSet/flightdeck-x/1"
TARGET = prod_target()
DEPLOYED = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 3}}}}
PROPOSED = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 5}}}}
REVIEWED_AT = "2026-11-28T10:00:00+00:00"  # the stack's last change when the change set was reviewed
AVAILABLE = ChangeSetStatus("CREATE_COMPLETE", "AVAILABLE")


def _snapshot(deployed: dict[str, Any] = DEPLOYED) -> ChangeSetSnapshot:
    return ChangeSetSnapshot(
        change_set_id=CHANGE_SET_ID,
        status="CREATE_COMPLETE",
        execution_status="AVAILABLE",
        changes=(),
        new_template=PROPOSED,
        old_template=deployed,
        new_parameters={"LogLevel": "INFO"},
        old_parameters={"LogLevel": "INFO"},
        stack_changed_at=REVIEWED_AT,
    )


def _stack(last_changed_at: str = REVIEWED_AT, status: str = "UPDATE_COMPLETE") -> StackState:
    return StackState("hello-prod", "stack-id", status, "", last_changed_at=last_changed_at)


REVIEWED = review_snapshot(_snapshot(), TARGET, {})
CHANGE_SET = {"id": CHANGE_SET_ID, "label": LABEL, "parameter_versions": {}, "review": REVIEWED.to_dict()}


class _Ti:
    map_index = 0

    def __init__(self, record: dict[str, Any] | None) -> None:
        self.record = record

    def xcom_pull(self, task_ids: str, **kwargs: Any) -> Any:
        return self.record


def _record(change_set_id: str = CHANGE_SET_ID, fingerprint: str = REVIEWED.fingerprint) -> dict[str, Any]:
    return {"approved_by": "approver", "change_sets": {LABEL: {"id": change_set_id, "fingerprint": fingerprint}}}


@pytest.fixture
def operator() -> ExecuteChangeSetOperator:
    return ExecuteChangeSetOperator(
        task_id="execute_change_set",
        application="hello",
        target_label=LABEL,
        targets=TargetCatalog("prod", [TARGET]),
        aws_conn_id=None,
        change_set_task_id="prod.prepare.create_change_set",
        approval_task_id="prod.approve",
    )


def _now_in_aws(monkeypatch: pytest.MonkeyPatch, snapshot: ChangeSetSnapshot) -> list[str]:
    """The change set read again (templates included) returns ``snapshot``; the list records each read."""
    reads: list[str] = []

    def read(session: object, stack_name: str, change_set_id: str) -> ChangeSetSnapshot:
        reads.append(change_set_id)
        return snapshot

    monkeypatch.setattr(execute_module, "snapshot_change_set", read)
    return reads


def _check(operator: ExecuteChangeSetOperator, record: Any, stack: StackState | None = None) -> None:
    stack = stack or _stack()
    operator._check_approved({"ti": _Ti(record)}, session=None, change_set=CHANGE_SET, found=AVAILABLE, stack=stack)


def test_the_approved_change_set_passes_without_reading_it_again_while_the_stack_is_unchanged(
    operator: ExecuteChangeSetOperator, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _now_in_aws(monkeypatch, _snapshot(deployed={"Resources": {}}))  # would fail the check if read
    _check(operator, _record())
    assert reads == []


def test_a_changed_stack_makes_execute_read_the_change_set_again(
    operator: ExecuteChangeSetOperator, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _now_in_aws(monkeypatch, _snapshot())
    _check(operator, _record(), _stack(last_changed_at="2026-11-28T11:00:00+00:00"))
    assert reads == [CHANGE_SET_ID]  # read again; still changes what was approved, so it passes


def test_a_recreated_change_set_is_refused(operator: ExecuteChangeSetOperator, monkeypatch: pytest.MonkeyPatch) -> None:
    _now_in_aws(monkeypatch, _snapshot())
    older = _record(change_set_id=CHANGE_SET_ID.replace("/1", "/0"))
    with pytest.raises(FlightdeckError, match=r"is not the one approved .* it was recreated after the approval"):
        _check(operator, older)


def test_a_change_set_that_changes_something_else_now_is_refused(
    operator: ExecuteChangeSetOperator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Someone changed the stack after the approval: the same change set now changes something else.
    _now_in_aws(monkeypatch, _snapshot(deployed={"Resources": {}}))
    with pytest.raises(FlightdeckError) as info:
        _check(operator, _record(), _stack(last_changed_at="2026-11-28T11:00:00+00:00"))
    message = str(info.value)
    assert message.startswith(f"{LABEL}: change set {CHANGE_SET_ID} no longer changes what was approved (approved: ")
    assert f"fingerprint {REVIEWED.fingerprint[:12]} → " in message
    assert "Nothing was executed" in message


def test_no_approval_record_is_refused(operator: ExecuteChangeSetOperator) -> None:
    with pytest.raises(FlightdeckError, match="no approval is recorded for change set"):
        _check(operator, None)


def test_a_change_set_gone_without_running_is_refused(operator: ExecuteChangeSetOperator) -> None:
    with pytest.raises(FlightdeckError, match="does not exist any more"):
        operator._check_approved(
            {"ti": _Ti(_record())}, session=None, change_set=CHANGE_SET, found=None, stack=_stack()
        )


def test_a_change_set_that_ran_already_is_waited_for(
    operator: ExecuteChangeSetOperator, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _now_in_aws(monkeypatch, _snapshot())
    executing = ChangeSetStatus("CREATE_COMPLETE", "EXECUTE_IN_PROGRESS")
    operator._check_approved(
        {"ti": _Ti(_record())}, session=None, change_set=CHANGE_SET, found=executing, stack=_stack()
    )
    assert reads == []  # a retry: nothing to check, nothing executed twice
