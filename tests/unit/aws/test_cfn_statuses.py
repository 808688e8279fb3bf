"""CloudFormation statuses and change-set reasons mean what a deployment needs to know."""

from __future__ import annotations

import json

import pytest

from flightdeck.aws.cloudformation import ChangeSet, ResourceChange, classify_status, is_no_change_reason
from flightdeck.aws.stacks import StackState
from flightdeck.errors import FlightdeckError

NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("CREATE_COMPLETE", "complete"),
        ("UPDATE_COMPLETE", "complete"),
        ("IMPORT_COMPLETE", "complete"),
        ("DELETE_COMPLETE", "complete"),
        ("CREATE_PENDING", "in_progress"),
        ("CREATE_IN_PROGRESS", "in_progress"),
        ("REVIEW_IN_PROGRESS", "in_progress"),
        ("UPDATE_IN_PROGRESS", "in_progress"),
        ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "in_progress"),
        ("UPDATE_ROLLBACK_IN_PROGRESS", "in_progress"),
        ("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "in_progress"),
        ("ROLLBACK_IN_PROGRESS", "in_progress"),
        ("DELETE_IN_PROGRESS", "in_progress"),
        ("IMPORT_IN_PROGRESS", "in_progress"),
        ("IMPORT_ROLLBACK_IN_PROGRESS", "in_progress"),
        ("FAILED", "failed"),
        ("CREATE_FAILED", "failed"),
        ("UPDATE_FAILED", "failed"),
        ("DELETE_FAILED", "failed"),
        ("ROLLBACK_COMPLETE", "failed"),
        ("ROLLBACK_FAILED", "failed"),
        ("UPDATE_ROLLBACK_COMPLETE", "failed"),
        ("UPDATE_ROLLBACK_FAILED", "failed"),
        ("IMPORT_ROLLBACK_COMPLETE", "failed"),
        ("IMPORT_ROLLBACK_FAILED", "failed"),
    ],
)
def test_classify_status(status: str, outcome: str) -> None:
    assert classify_status(status) == outcome


@pytest.mark.parametrize("status", ["", "create_complete", "UPDATE_SOMETHING_NEW", "AVAILABLE"])
def test_unknown_status_raises(status: str) -> None:
    with pytest.raises(FlightdeckError, match="Unknown CloudFormation status"):
        classify_status(status)


@pytest.mark.parametrize(
    ("reason", "no_change"),
    [
        (NO_CHANGES, True),
        ("No updates are to be performed.", True),
        ("Template format error: Unresolved resource dependencies [X]", False),
        ("Parameters: [Greeting] must have values", False),
        ("", False),
        (None, False),
    ],
)
def test_is_no_change_reason(reason: str | None, no_change: bool) -> None:
    assert is_no_change_reason(reason) is no_change


def _change_set(status: str, reason: str = "") -> ChangeSet:
    return ChangeSet(
        id="arn:aws:cloudformation:eu-west-1:111111111111:changeSet/cs/1",
        name="cs",
        stack_name="hello-dev",
        change_set_type="UPDATE",
        status=status,
        reason=reason,
        changes=(ResourceChange("Modify", "Function", "AWS::Lambda::Function", "False"),),
    )


def test_empty_change_set() -> None:
    assert _change_set("FAILED", "No updates are to be performed.").is_empty
    assert not _change_set("FAILED", "Something broke").is_empty
    assert not _change_set("CREATE_COMPLETE").is_empty


def test_change_set_to_dict_is_json_safe() -> None:
    data = json.loads(json.dumps(_change_set("CREATE_COMPLETE").to_dict()))
    assert data["is_empty"] is False
    assert data["id"].endswith("changeSet/cs/1")
    (change,) = data["changes"]
    assert change == {
        "action": "Modify",
        "logical_id": "Function",
        "resource_type": "AWS::Lambda::Function",
        "replacement": "False",
    }


def test_stack_state_to_dict() -> None:
    state = StackState("s", "id", "CREATE_COMPLETE", "", outputs={"A": "1"})
    assert json.loads(json.dumps(state.to_dict()))["outputs"] == {"A": "1"}
