"""CloudFormation stacks: describe them, classify their statuses, wait for them, explain their failures."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from flightdeck import naming
from flightdeck.aws.session import AccountSession
from flightdeck.aws.stack_guidance import guidance
from flightdeck.errors import DeploymentError, FlightdeckError

log = logging.getLogger(__name__)

Outcome = Literal["complete", "in_progress", "failed"]
Availability = Literal["free", "busy", "stuck"]

# Stack and change-set statuses by what they mean for a deployment; a completed rollback is a failure.
_COMPLETE = "CREATE_COMPLETE UPDATE_COMPLETE IMPORT_COMPLETE DELETE_COMPLETE"
_IN_PROGRESS = (
    "CREATE_PENDING CREATE_IN_PROGRESS REVIEW_IN_PROGRESS UPDATE_IN_PROGRESS "
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS UPDATE_ROLLBACK_IN_PROGRESS "
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS ROLLBACK_IN_PROGRESS "
    "DELETE_PENDING DELETE_IN_PROGRESS IMPORT_IN_PROGRESS IMPORT_ROLLBACK_IN_PROGRESS"
)
_FAILED = (
    "FAILED CREATE_FAILED UPDATE_FAILED DELETE_FAILED ROLLBACK_COMPLETE ROLLBACK_FAILED "
    "UPDATE_ROLLBACK_COMPLETE UPDATE_ROLLBACK_FAILED IMPORT_ROLLBACK_COMPLETE IMPORT_ROLLBACK_FAILED"
)
# Statuses in which no change set may be created or executed until a human repairs the stack.
_STUCK = frozenset({"UPDATE_ROLLBACK_FAILED", "ROLLBACK_FAILED", "DELETE_FAILED", "IMPORT_ROLLBACK_FAILED"})
# Stack events that start an operation (a rollback-only operation is found by the end of the one before).
_OPERATION_STARTS = frozenset({"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "IMPORT_IN_PROGRESS"})
_ROLLBACKS = frozenset({"ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS"})
_STACK_TYPE = "AWS::CloudFormation::Stack"
_CANCELLED = re.compile(r"Resource \w+ cancelled\.?", re.IGNORECASE)  # a sibling of the failure was stopped
_OUTCOMES: dict[str, Outcome] = {
    **dict.fromkeys(_COMPLETE.split(), "complete"),
    **dict.fromkeys(_IN_PROGRESS.split(), "in_progress"),
    **dict.fromkeys(_FAILED.split(), "failed"),
}
WAIT_DELAY_SECONDS = 5
WAIT_MAX_ATTEMPTS = 720  # one hour at the default delay


def classify_status(status: str) -> Outcome:
    """``complete``, ``in_progress`` or ``failed`` for a stack or change-set status; unknown ones raise."""
    try:
        return _OUTCOMES[status]
    except KeyError:
        raise FlightdeckError(f"Unknown CloudFormation status {status!r}") from None


@dataclass(frozen=True)
class StackState:
    """A stack's status and what it exposes (NoEcho parameters come back masked, as AWS returns them).

    :param change_set_id: the change set that last changed the stack, when CloudFormation says.
    :param termination_protection: whether the stack refuses ``DeleteStack`` (``EnableTerminationProtection``).
    :param last_changed_at: when an operation last changed it (``LastUpdatedTime``, else ``CreationTime``; ISO).
    """

    name: str
    stack_id: str
    status: str
    reason: str
    outputs: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    change_set_id: str = ""
    termination_protection: bool = False
    last_changed_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (an XCom value)."""
        return asdict(self)


def describe_stack(session: AccountSession, stack_name: str) -> StackState | None:
    """The stack's current state, ``None`` if it does not exist (``cloudformation:DescribeStacks``)."""
    try:
        stack = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as err:
        if is_missing(err):
            return None
        raise cfn_error(session, stack_name, "Cannot describe stack", err) from err
    return StackState(
        name=stack["StackName"],
        stack_id=stack["StackId"],
        status=stack["StackStatus"],
        reason=stack.get("StackStatusReason", ""),
        outputs={o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])},
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])},
        tags={t["Key"]: t["Value"] for t in stack.get("Tags", [])},
        change_set_id=stack.get("ChangeSetId", ""),
        termination_protection=stack.get("EnableTerminationProtection", False),
        last_changed_at=_iso(stack.get("LastUpdatedTime") or stack.get("CreationTime")),
    )


def _iso(when: datetime | None) -> str:
    return when.isoformat() if when is not None else ""


def last_changed(session: AccountSession, stack_name: str) -> datetime | None:
    """When the stack last changed: ``LastUpdatedTime``, else ``CreationTime`` (``cloudformation:DescribeStacks``).

    ``None`` when the stack does not exist.
    """
    try:
        stack = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as err:
        if is_missing(err):
            return None
        raise cfn_error(session, stack_name, "Cannot describe stack", err) from err
    return stack.get("LastUpdatedTime") or stack.get("CreationTime")


def stack_availability(status: str) -> Availability:
    """Whether a change set may be created or executed on a stack in ``status`` now; unknown statuses raise.

    ``busy``: an operation is running (any ``*_IN_PROGRESS`` but ``REVIEW_IN_PROGRESS``), wait for it; ``stuck``:
    a failed rollback or deletion, which a human must repair; ``free``: anything else (``DELETE_COMPLETE``: no stack).
    """
    classify_status(status)
    if status in _STUCK:
        return "stuck"
    return "busy" if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS" else "free"


def blocked_error(stack: StackState, *, account: str, region: str, failures: str = "") -> DeploymentError | None:
    """The error that refuses to change ``stack`` while it is busy or stuck; ``None`` when it is free.

    The message names the run the stack's ``flightdeck:run-id`` tag names; the reason is ``failures`` (from
    :func:`failure_reason`) and what to do.
    """
    availability = stack_availability(stack.status)
    if availability == "free":
        return None
    run = stack.tags.get(naming.RUN_ID_TAG, "")
    if availability == "busy":
        message = f"Stack {stack.name} is busy: " + (
            f"run {run} is operating on it (its {naming.RUN_ID_TAG} tag)" if run else "another operation is running"
        )
    else:
        message = f"Stack {stack.name} is stuck: no release can change it until it is repaired"
        message += f" (last released by run {run}, its {naming.RUN_ID_TAG} tag)" if run else ""
    advice = guidance(stack.status, stack.name, account, region)
    return DeploymentError(
        message, account=account, region=region, stack=stack.name, status=stack.status, reason=explain(failures, advice)
    )


def ensure_stack_free(session: AccountSession, stack_name: str) -> StackState | None:
    """The stack, if a change set may be created or executed on it now; ``None`` when there is no stack.

    Calls ``cloudformation:DescribeStacks``, and ``DescribeStackEvents`` for a stuck stack to name what failed.

    :raises DeploymentError: the stack is busy or stuck (see :func:`blocked_error`).
    """
    return check_stack_free(session, describe_stack(session, stack_name))


def check_stack_free(session: AccountSession, stack: StackState | None) -> StackState | None:
    """:func:`ensure_stack_free` for a stack described already (``None``: there is none)."""
    if stack is None or stack.status == "DELETE_COMPLETE":
        return None
    failures = failure_reason(session, stack.name) if stack_availability(stack.status) == "stuck" else ""
    error = blocked_error(stack, account=session.account_id, region=session.region, failures=failures)
    if error is not None:
        raise error
    return stack


def explain(failures: str, advice: str) -> str:
    """A failure's reason: what failed, then (on its own line) what to do."""
    return "\n".join(part for part in (failures, advice and f"What to do: {advice}") if part)


def wait_for_stack(
    session: AccountSession,
    stack_name: str,
    *,
    delay: float = WAIT_DELAY_SECONDS,
    max_attempts: int = WAIT_MAX_ATTEMPTS,
) -> StackState:
    """Poll ``cloudformation:DescribeStacks`` until the stack settles; a failed stack raises, with why and what to do.

    :raises DeploymentError: the stack failed (its reason: the resources that failed, from ``DescribeStackEvents``,
        and the guidance for its status), is gone, or did not settle in ``max_attempts`` checks.
    """
    where = {"account": session.account_id, "region": session.region, "stack": stack_name}
    for attempt in range(1, max_attempts + 1):
        stack = describe_stack(session, stack_name)
        if stack is None:
            raise DeploymentError("Stack does not exist", **where)
        outcome = classify_status(stack.status)
        if outcome == "complete":
            return stack
        if outcome == "failed":
            failures = failure_reason(session, stack_name) or stack.reason
            advice = guidance(stack.status, stack_name, session.account_id, session.region)
            reason = explain(failures, advice)
            raise DeploymentError("Stack deployment failed", **where, status=stack.status, reason=reason)
        if attempt < max_attempts:
            time.sleep(delay)
    raise DeploymentError(f"Timed out after {max_attempts} checks of the stack", **where, status=stack.status)


@dataclass(frozen=True)
class ResourceFailure:
    """A resource's ``*_FAILED`` stack event.

    :param during_rollback: it failed while the stack was rolling back (what a stuck rollback needs fixed).
    """

    logical_id: str
    resource_type: str
    status: str
    reason: str
    during_rollback: bool = False

    def __str__(self) -> str:
        text = f"{self.logical_id} ({self.resource_type}) {self.status}"
        text += " during rollback" if self.during_rollback else ""
        return f"{text}: {self.reason}" if self.reason else text


def latest_operation(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The events of the stack's latest operation, oldest first, from ``events`` newest first (as AWS pages them).

    Reading stops at the stack's own event that started the operation (``CREATE_IN_PROGRESS``,
    ``UPDATE_IN_PROGRESS``…) or, for an operation that only rolls back (``continue-update-rollback``), at the end of
    the operation before: older events are never read.
    """
    taken: list[Mapping[str, Any]] = []
    running = False  # an in-progress event of the stack itself was read: a settled one is the previous operation's
    for event in events:
        if _is_stack_itself(event):
            status = event.get("ResourceStatus", "")
            if running and not status.endswith("_IN_PROGRESS"):
                break
            taken.append(event)
            if status in _OPERATION_STARTS:
                break
            running = running or status.endswith("_IN_PROGRESS")
        else:
            taken.append(event)
    return taken[::-1]


def resource_failures(events: Iterable[Mapping[str, Any]]) -> list[ResourceFailure]:
    """The resources that failed in the stack's latest operation, root causes first (in the order they failed).

    ``events`` come newest first, as ``DescribeStackEvents`` pages them; only the latest operation's are read (see
    :func:`latest_operation`). "Resource creation cancelled" and the like (CloudFormation stopping the siblings of
    a failure) are left out unless nothing else failed.
    """
    failures: list[ResourceFailure] = []
    cancelled: list[ResourceFailure] = []
    rolling_back = False
    for event in latest_operation(events):
        status = event.get("ResourceStatus", "")
        if _is_stack_itself(event):
            rolling_back = rolling_back or status in _ROLLBACKS
            continue
        if not status.endswith("_FAILED"):
            continue
        reason = event.get("ResourceStatusReason") or ""
        failure = ResourceFailure(
            logical_id=event.get("LogicalResourceId", ""),
            resource_type=event.get("ResourceType", ""),
            status=status,
            reason=reason,
            during_rollback=rolling_back,
        )
        found = cancelled if _CANCELLED.fullmatch(reason.strip()) else failures
        if failure not in found:
            found.append(failure)
    return failures or cancelled


def failure_reason(session: AccountSession, stack_name: str) -> str:
    """What failed in the stack's last operation, by resource, root causes first (``DescribeStackEvents``).

    ``""`` when no resource failed or the events cannot be read (logged).
    """
    return "; ".join(str(failure) for failure in resource_failures(_stack_events(session, stack_name)))


def _stack_events(session: AccountSession, stack_name: str) -> Iterator[dict[str, Any]]:
    """``cloudformation:DescribeStackEvents``, newest first, a page at a time as they are read."""
    paginator = session.client("cloudformation").get_paginator("describe_stack_events")
    try:
        for page in paginator.paginate(StackName=stack_name):
            yield from page["StackEvents"]
    except ClientError as err:
        log.warning("Cannot read the events of stack %s: %s", stack_name, err)


def _is_stack_itself(event: Mapping[str, Any]) -> bool:
    """An event of the stack, not of one of its resources (a nested stack is a resource of the same type)."""
    return (
        event.get("ResourceType") == _STACK_TYPE
        and event.get("LogicalResourceId") == event.get("StackName")
        and event.get("PhysicalResourceId") in (None, "", event.get("StackId"))
    )


def is_missing(err: ClientError) -> bool:
    """Whether CloudFormation said the stack or change set does not exist."""
    error = err.response.get("Error", {})
    return error.get("Code") == "ChangeSetNotFound" or (
        error.get("Code") == "ValidationError" and "does not exist" in error.get("Message", "")
    )


def cfn_error(session: AccountSession, stack_name: str, message: str, err: Exception) -> DeploymentError:
    """A :class:`DeploymentError` for a failed CloudFormation call, with AWS's message as the reason."""
    reason = str(err)
    if isinstance(err, ClientError):
        reason = err.response.get("Error", {}).get("Message", reason)
    return DeploymentError(message, account=session.account_id, region=session.region, stack=stack_name, reason=reason)
