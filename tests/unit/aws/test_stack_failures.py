"""A failed stack explains itself: the resources that failed in its latest operation, root causes first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from flightdeck import naming
from flightdeck.aws.session import AccountSession
from flightdeck.aws.stacks import (
    ResourceFailure,
    ensure_stack_free,
    failure_reason,
    latest_operation,
    resource_failures,
    wait_for_stack,
)
from flightdeck.errors import DeploymentError

ACCOUNT, REGION, STACK = "111111111111", "eu-west-1", "hello-dev"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/8f2e6a10-8d4b-11ef-9a3c-0a1b2c3d4e5f"
NESTED_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}-Network-1X2Y3Z/0c1d2e3f-8d4b-11ef-9a3c"
TYPES = {
    STACK: "AWS::CloudFormation::Stack",
    "Network": "AWS::CloudFormation::Stack",  # a nested stack: a resource like any other
    "Function": "AWS::Lambda::Function",
    "FunctionRole": "AWS::IAM::Role",
    "Queue": "AWS::SQS::Queue",
    "Broken": "AWS::SSM::Parameter",
}
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
RUN = "scheduled__2026-11-28T09:00:00+00:00"

LAMBDA_ERROR = (
    'Resource handler returned message: "Uploaded file must be a non-empty zip (Service: Lambda, Status Code: 400, '
    'Request ID: 1f7c2b9e-0d8a-4c53-9b1e-6a2f3c4d5e6f)" (RequestToken: 6c1d2e3f-aaaa-bbbb-cccc-0123456789ab, '
    "HandlerErrorCode: InvalidRequest)"
)
SSM_ERROR = "Properties validation failed for resource Broken with message: #: required key [Value] not found"
ROLE_ERROR = (
    'Resource handler returned message: "The role with name hello-dev-FunctionRole-AbC123 cannot be found. '
    '(Service: Iam, Status Code: 404)" (HandlerErrorCode: NotFound)'
)


def _events(*rows: tuple[str, str, str]) -> list[dict[str, Any]]:
    """``DescribeStackEvents`` entries, newest first, from ``(logical id, status, reason)`` rows, oldest first."""
    events = []
    for second, (logical_id, status, reason) in enumerate(rows):
        timestamp = START + timedelta(seconds=second)
        physical_id = {STACK: STACK_ID, "Network": NESTED_ID}.get(logical_id, f"{STACK}-{logical_id}-AbC123")
        event = {
            "StackId": STACK_ID,
            "EventId": f"{logical_id}-{status}-{timestamp:%Y-%m-%dT%H:%M:%S.000Z}",
            "StackName": STACK,
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": "" if status == "CREATE_IN_PROGRESS" and logical_id != STACK else physical_id,
            "ResourceType": TYPES[logical_id],
            "Timestamp": timestamp,
            "ResourceStatus": status,
        }
        if reason:
            event["ResourceStatusReason"] = reason
        if logical_id != STACK:
            event["ResourceProperties"] = '{"Description":"hello"}'
        events.append(event)
    return events[::-1]


# A release that updated the queue and failed, and was rolled back: the operation before the ones tested.
EARLIER_RELEASE = (
    (STACK, "UPDATE_IN_PROGRESS", "User Initiated"),
    ("Queue", "UPDATE_IN_PROGRESS", ""),
    ("Queue", "UPDATE_FAILED", "Invalid value for the parameter MessageRetentionPeriod"),
    (STACK, "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [Queue]."),
    ("Queue", "UPDATE_COMPLETE", ""),
    (STACK, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", ""),
    (STACK, "UPDATE_ROLLBACK_COMPLETE", ""),
)
# The function's new code is broken; CloudFormation cancels the queue's update, then rolls back.
FAILED_UPDATE = (
    (STACK, "UPDATE_IN_PROGRESS", "User Initiated"),
    ("FunctionRole", "UPDATE_IN_PROGRESS", ""),
    ("FunctionRole", "UPDATE_COMPLETE", ""),
    ("Function", "UPDATE_IN_PROGRESS", ""),
    ("Queue", "UPDATE_IN_PROGRESS", ""),
    ("Function", "UPDATE_FAILED", LAMBDA_ERROR),
    ("Queue", "UPDATE_FAILED", "Resource update cancelled"),
    (STACK, "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [Function, Queue]."),
    ("FunctionRole", "UPDATE_IN_PROGRESS", ""),
    ("Function", "UPDATE_COMPLETE", ""),
    ("FunctionRole", "UPDATE_COMPLETE", ""),
    ("Queue", "UPDATE_COMPLETE", ""),
    (STACK, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", ""),
    (STACK, "UPDATE_ROLLBACK_COMPLETE", ""),
)
# A new stack from a change set: the parameter has no value, the role's creation is cancelled, all is removed.
FAILED_CREATE = (
    (STACK, "REVIEW_IN_PROGRESS", "User Initiated"),
    (STACK, "CREATE_IN_PROGRESS", "User Initiated"),
    ("FunctionRole", "CREATE_IN_PROGRESS", ""),
    ("Broken", "CREATE_IN_PROGRESS", ""),
    ("Broken", "CREATE_FAILED", SSM_ERROR),
    ("FunctionRole", "CREATE_IN_PROGRESS", "Resource creation Initiated"),
    ("FunctionRole", "CREATE_FAILED", "Resource creation cancelled"),
    (STACK, "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Broken, FunctionRole]. Rollback "),
    ("FunctionRole", "DELETE_IN_PROGRESS", ""),
    ("FunctionRole", "DELETE_COMPLETE", ""),
    ("Broken", "DELETE_COMPLETE", ""),
    (STACK, "ROLLBACK_COMPLETE", ""),
)
SUCCESSFUL_UPDATE = (
    (STACK, "UPDATE_IN_PROGRESS", "User Initiated"),
    ("Function", "UPDATE_IN_PROGRESS", ""),
    ("Function", "UPDATE_COMPLETE", ""),
    (STACK, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", ""),
    (STACK, "UPDATE_COMPLETE", ""),
)
# Someone ran cancel-update-stack: the only failures are cancellations.
CANCELLED_UPDATE = (
    (STACK, "UPDATE_IN_PROGRESS", "User Initiated"),
    ("Function", "UPDATE_IN_PROGRESS", ""),
    ("Function", "UPDATE_FAILED", "Resource update cancelled"),
    (STACK, "UPDATE_ROLLBACK_IN_PROGRESS", "Stack update cancelled"),
    ("Function", "UPDATE_COMPLETE", ""),
    (STACK, "UPDATE_ROLLBACK_COMPLETE", ""),
)
# The function's update fails, then its role (deleted by hand meanwhile) cannot be rolled back.
ROLLBACK_FAILED = (
    (STACK, "UPDATE_IN_PROGRESS", "User Initiated"),
    ("Function", "UPDATE_IN_PROGRESS", ""),
    ("Function", "UPDATE_FAILED", LAMBDA_ERROR),
    (STACK, "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [Function]."),
    ("FunctionRole", "UPDATE_IN_PROGRESS", ""),
    ("FunctionRole", "UPDATE_FAILED", ROLE_ERROR),
    (STACK, "UPDATE_ROLLBACK_FAILED", "The following resource(s) failed to update: [FunctionRole]."),
)
# continue-update-rollback, which fails again the same way.
CONTINUED_ROLLBACK = (
    (STACK, "UPDATE_ROLLBACK_IN_PROGRESS", "Continue update rollback requested by user"),
    ("FunctionRole", "UPDATE_IN_PROGRESS", ""),
    ("FunctionRole", "UPDATE_FAILED", ROLE_ERROR),
    (STACK, "UPDATE_ROLLBACK_FAILED", "The following resource(s) failed to update: [FunctionRole]."),
)
NESTED_CREATE_FAILED = (
    (STACK, "CREATE_IN_PROGRESS", "User Initiated"),
    ("Network", "CREATE_IN_PROGRESS", ""),
    (
        "Network",
        "CREATE_FAILED",
        f"Embedded stack {NESTED_ID} was not successfully created: "
        "The following resource(s) failed to create: [Subnet].",
    ),
    (STACK, "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Network]."),
    ("Network", "DELETE_COMPLETE", ""),
    (STACK, "ROLLBACK_COMPLETE", ""),
)


def test_failed_update_names_the_root_cause_not_the_cancelled_siblings() -> None:
    failures = resource_failures(_events(*EARLIER_RELEASE, *FAILED_UPDATE))
    assert failures == [ResourceFailure("Function", "AWS::Lambda::Function", "UPDATE_FAILED", LAMBDA_ERROR)]
    assert str(failures[0]) == f"Function (AWS::Lambda::Function) UPDATE_FAILED: {LAMBDA_ERROR}"


def test_failed_create_that_rolled_back() -> None:
    failures = resource_failures(_events(*FAILED_CREATE))
    assert [str(failure) for failure in failures] == [f"Broken (AWS::SSM::Parameter) CREATE_FAILED: {SSM_ERROR}"]


def test_no_failure_events() -> None:
    assert resource_failures(_events(*EARLIER_RELEASE, *SUCCESSFUL_UPDATE)) == []
    assert resource_failures([]) == []


def test_cancellations_are_reported_when_nothing_else_failed() -> None:
    (failure,) = resource_failures(_events(*CANCELLED_UPDATE))
    assert str(failure) == "Function (AWS::Lambda::Function) UPDATE_FAILED: Resource update cancelled"


def test_a_failed_rollback_names_the_root_cause_first_then_what_did_not_roll_back() -> None:
    failures = resource_failures(_events(*SUCCESSFUL_UPDATE, *ROLLBACK_FAILED))
    assert [(f.logical_id, f.during_rollback) for f in failures] == [("Function", False), ("FunctionRole", True)]
    assert str(failures[1]) == f"FunctionRole (AWS::IAM::Role) UPDATE_FAILED during rollback: {ROLE_ERROR}"


def test_a_continued_rollback_is_an_operation_of_its_own() -> None:
    events = _events(*ROLLBACK_FAILED, *CONTINUED_ROLLBACK)
    assert [e["ResourceStatus"] for e in latest_operation(events)] == [
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        "UPDATE_FAILED",
        "UPDATE_ROLLBACK_FAILED",
    ]
    assert resource_failures(events) == [
        ResourceFailure("FunctionRole", "AWS::IAM::Role", "UPDATE_FAILED", ROLE_ERROR, during_rollback=True)
    ]


def test_a_nested_stack_is_a_resource() -> None:
    (failure,) = resource_failures(_events(*NESTED_CREATE_FAILED))
    assert (failure.logical_id, failure.resource_type, failure.status) == (
        "Network",
        "AWS::CloudFormation::Stack",
        "CREATE_FAILED",
    )
    assert "[Subnet]" in failure.reason


def test_the_same_failure_twice_is_reported_once() -> None:
    repeated = (*FAILED_CREATE[:5], ("Broken", "CREATE_FAILED", SSM_ERROR), *FAILED_CREATE[5:])
    assert len(resource_failures(_events(*repeated))) == 1


def _never_read() -> Iterator[dict[str, Any]]:
    raise AssertionError("read an event older than the operation's start")
    yield {}  # pragma: no cover


def test_events_older_than_the_operation_are_never_read() -> None:
    operation = _events(*FAILED_UPDATE)
    assert latest_operation(chain(operation, _never_read())) == operation[::-1]
    assert len(resource_failures(chain(operation, _never_read()))) == 1


def _session() -> AccountSession:
    return AccountSession(boto3.session.Session(region_name=REGION), region=REGION, account_id=ACCOUNT)


def _pages(stubber: Stubber, events: list[dict[str, Any]], *, size: int) -> None:
    """Stub ``DescribeStackEvents`` page by page; a page after those stubbed fails the test."""
    for offset in range(0, len(events), size):
        params = {"StackName": STACK, **({"NextToken": f"t{offset}"} if offset else {})}
        page = {"StackEvents": events[offset : offset + size], "NextToken": f"t{offset + size}"}
        stubber.add_response("describe_stack_events", page, params)


def test_failure_reason_pages_back_to_the_start_of_the_operation_only() -> None:
    session = _session()
    with Stubber(session.client("cloudformation")) as cfn:
        latest = _events(*FAILED_UPDATE)
        _pages(cfn, latest + _events(*EARLIER_RELEASE)[:1], size=len(latest) // 2 + 1)  # two pages
        assert failure_reason(session, STACK) == f"Function (AWS::Lambda::Function) UPDATE_FAILED: {LAMBDA_ERROR}"
        cfn.assert_no_pending_responses()


def test_failure_reason_is_empty_when_events_cannot_be_read(caplog: pytest.LogCaptureFixture) -> None:
    session = _session()
    with Stubber(session.client("cloudformation")) as cfn:
        cfn.add_client_error("describe_stack_events", "AccessDenied", "not allowed", http_status_code=403)
        assert failure_reason(session, STACK) == ""
    assert "Cannot read the events of stack hello-dev" in caplog.text


def _stack(status: str, reason: str = "", **tags: str) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "StackId": STACK_ID,
                "CreationTime": START,
                "StackStatus": status,
                "StackStatusReason": reason,
                "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
            }
        ]
    }


def test_wait_for_stack_explains_a_failure_and_says_what_to_do() -> None:
    session = _session()
    with Stubber(session.client("cloudformation")) as cfn:
        cfn.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_FAILED"), {"StackName": STACK})
        cfn.add_response("describe_stack_events", {"StackEvents": _events(*ROLLBACK_FAILED)}, {"StackName": STACK})
        with pytest.raises(DeploymentError) as caught:
            wait_for_stack(session, STACK, delay=0)
    error = caught.value
    assert (error.account, error.region, error.stack, error.status) == (
        ACCOUNT,
        REGION,
        STACK,
        "UPDATE_ROLLBACK_FAILED",
    )
    failures, advice = error.reason.split("\n")
    assert failures.startswith("Function (AWS::Lambda::Function) UPDATE_FAILED: ")
    assert "; FunctionRole (AWS::IAM::Role) UPDATE_FAILED during rollback: " in failures
    assert advice.startswith("What to do: The update of stack hello-dev failed and so did its rollback")
    assert "continue-update-rollback --stack-name hello-dev --region eu-west-1" in advice


def test_wait_for_stack_falls_back_on_the_stack_reason() -> None:
    session = _session()
    with Stubber(session.client("cloudformation")) as cfn:
        reason = "Stack update cancelled"
        cfn.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_COMPLETE", reason), {"StackName": STACK})
        cfn.add_response("describe_stack_events", {"StackEvents": []}, {"StackName": STACK})
        with pytest.raises(DeploymentError) as caught:
            wait_for_stack(session, STACK, delay=0)
    assert caught.value.reason.startswith("Stack update cancelled\nWhat to do: The update of stack hello-dev failed")


def test_ensure_stack_free_refuses_a_busy_stack() -> None:
    session = _session()
    with Stubber(session.client("cloudformation")) as cfn:
        tags = {naming.RUN_ID_TAG: RUN}
        cfn.add_response("describe_stacks", _stack("UPDATE_IN_PROGRESS", **tags), {"StackName": STACK})
        with pytest.raises(
            DeploymentError, match=re.escape(f"Stack hello-dev is busy: run {RUN} is operating on it")
        ) as caught:
            ensure_stack_free(session, STACK)
        cfn.assert_no_pending_responses()  # a busy stack's events are not read
    for part in (ACCOUNT, REGION, "UPDATE_IN_PROGRESS", "wait for it to end"):
        assert part in str(caught.value)


def test_ensure_stack_free_refuses_a_stuck_stack_naming_what_failed() -> None:
    session = _session()
    with Stubber(session.client("cloudformation")) as cfn:
        cfn.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_FAILED"), {"StackName": STACK})
        cfn.add_response("describe_stack_events", {"StackEvents": _events(*ROLLBACK_FAILED)}, {"StackName": STACK})
        with pytest.raises(DeploymentError, match="Stack hello-dev is stuck") as caught:
            ensure_stack_free(session, STACK)
    assert "FunctionRole (AWS::IAM::Role) UPDATE_FAILED during rollback" in caught.value.reason
    assert "continue-update-rollback" in caught.value.reason


@pytest.mark.parametrize("status", ["UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"])
def test_ensure_stack_free_returns_a_free_stack(status: str) -> None:
    session = _session()
    with Stubber(session.client("cloudformation")) as cfn:
        cfn.add_response("describe_stacks", _stack(status), {"StackName": STACK})
        stack = ensure_stack_free(session, STACK)
    assert stack is not None
    assert (stack.name, stack.status) == (STACK, status)


def test_ensure_stack_free_without_a_stack() -> None:
    session = _session()
    with Stubber(session.client("cloudformation")) as cfn:
        message = f"Stack with id {STACK} does not exist"
        cfn.add_client_error("describe_stacks", "ValidationError", message, expected_params={"StackName": STACK})
        cfn.add_response("describe_stacks", _stack("DELETE_COMPLETE"), {"StackName": STACK})
        assert ensure_stack_free(session, STACK) is None
        assert ensure_stack_free(session, STACK) is None
