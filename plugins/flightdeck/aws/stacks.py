"""CloudFormation stacks: describe them, classify their statuses, wait for them, explain their failures."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from flightdeck.aws.session import AccountSession
from flightdeck.errors import DeploymentError, FlightdeckError

log = logging.getLogger(__name__)

Outcome = Literal["complete", "in_progress", "failed"]

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
_STARTED = ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS")
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
    )


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


def wait_for_stack(
    session: AccountSession,
    stack_name: str,
    *,
    delay: float = WAIT_DELAY_SECONDS,
    max_attempts: int = WAIT_MAX_ATTEMPTS,
) -> StackState:
    """Poll ``cloudformation:DescribeStacks`` until the stack settles; a failed stack raises, with why."""
    where = {"account": session.account_id, "region": session.region, "stack": stack_name}
    for attempt in range(1, max_attempts + 1):
        stack = describe_stack(session, stack_name)
        if stack is None:
            raise DeploymentError("Stack does not exist", **where)
        outcome = classify_status(stack.status)
        if outcome == "complete":
            return stack
        if outcome == "failed":
            reason = failure_reason(session, stack_name) or stack.reason
            raise DeploymentError("Stack deployment failed", **where, status=stack.status, reason=reason)
        if attempt < max_attempts:
            time.sleep(delay)
    raise DeploymentError(f"Timed out after {max_attempts} checks of the stack", **where, status=stack.status)


def failure_reason(session: AccountSession, stack_name: str) -> str:
    """What failed in the stack's last operation, by resource (``cloudformation:DescribeStackEvents``)."""
    failures: list[str] = []
    paginator = session.client("cloudformation").get_paginator("describe_stack_events")
    try:
        for page in paginator.paginate(StackName=stack_name):
            for event in page["StackEvents"]:  # newest first, back to where the operation started
                status = event["ResourceStatus"]
                if event["LogicalResourceId"] == stack_name and status in _STARTED:
                    return "; ".join(reversed(failures))
                reason = event.get("ResourceStatusReason", "")
                if status.endswith("_FAILED") and "cancelled" not in reason.lower():
                    resource = f"{event['LogicalResourceId']} ({event['ResourceType']})"
                    failures.append(f"{resource} {status}: {reason}")
    except ClientError as err:
        log.warning("Cannot read the events of stack %s: %s", stack_name, err)
    return "; ".join(reversed(failures))


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
