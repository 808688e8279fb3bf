"""CloudFormation change sets: create (or reuse), execute once, delete; empty ones are not failures."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError, WaiterError

from flightdeck.aws.session import AccountSession
from flightdeck.aws.stack_options import StackOptions, change_set_arguments
from flightdeck.aws.stacks import (
    WAIT_DELAY_SECONDS,
    WAIT_MAX_ATTEMPTS,
    Outcome,
    StackState,
    cfn_error,
    check_stack_free,
    classify_status,
    describe_stack,
    ensure_stack_free,
    is_missing,
    wait_for_stack,
)
from flightdeck.errors import DeploymentError, FlightdeckError

__all__ = [
    "ChangeSet",
    "ChangeSetOutcome",
    "ChangeSetStatus",
    "Outcome",
    "ResourceChange",
    "StackOptions",
    "StackState",
    "StartedChangeSet",
    "change_set_ran",
    "change_set_status",
    "classify_change_set",
    "classify_status",
    "create_change_set",
    "delete_change_set",
    "delete_stack",
    "describe_change_set_pages",
    "describe_stack",
    "execute_change_set",
    "is_no_change_reason",
    "read_change_set",
    "start_change_set",
    "start_execution",
    "wait_for_stack",
]

log = logging.getLogger(__name__)

_NO_CHANGE_REASONS = ("The submitted information didn't contain changes", "No updates are to be performed")
_EXECUTED = ("EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE", "EXECUTE_FAILED")
_EXECUTION_STATUSES = ("UNAVAILABLE", "AVAILABLE", "OBSOLETE", *_EXECUTED)
_DELETED = ("DELETE_PENDING", "DELETE_IN_PROGRESS", "DELETE_COMPLETE", "DELETE_FAILED")

ChangeSetOutcome = Literal["pending", "ready", "empty", "failed", "executed", "discarded"]


def is_no_change_reason(reason: str | None) -> bool:
    """Whether a FAILED change set's reason means "nothing to change" (AWS has two wordings)."""
    return any(text in (reason or "") for text in _NO_CHANGE_REASONS)


def classify_change_set(status: str, execution_status: str, reason: str = "") -> ChangeSetOutcome:
    """What a change set's ``Status`` and ``ExecutionStatus`` mean for a deployment; unknown ones raise.

    ``pending``: being created, or not executable yet; ``ready``: can be executed; ``empty``: nothing to change;
    ``failed``: cannot be created; ``executed``: its execution started or ended (by anyone); ``discarded``:
    deleted, or obsolete because another change set or update changed the stack.
    """
    if execution_status not in _EXECUTION_STATUSES:
        raise FlightdeckError(f"Unknown CloudFormation change-set execution status {execution_status!r}")
    if status in _DELETED or execution_status == "OBSOLETE":
        return "discarded"
    if execution_status in _EXECUTED:
        return "executed"
    outcome = classify_status(status)
    if outcome == "failed":
        return "empty" if is_no_change_reason(reason) else "failed"
    return "ready" if outcome == "complete" and execution_status == "AVAILABLE" else "pending"


def change_set_ran(
    change_set_id: str,
    stack: StackState | None,
    *,
    created_at: datetime | None = None,
    stack_changed_at: datetime | None = None,
) -> bool:
    """Whether a change set that no longer exists was executed (CloudFormation deletes them after executing).

    Yes when the stack names it as the change set that last changed it; when the stack names none, only if the
    stack changed after the change set was created (both times known). A stack that is gone or still in review was
    not changed by it: someone deleted the change set.
    """
    if stack is None or stack.status == "REVIEW_IN_PROGRESS":
        return False
    if stack.change_set_id:
        return stack.change_set_id == change_set_id
    return created_at is not None and stack_changed_at is not None and stack_changed_at > created_at


@dataclass(frozen=True)
class ResourceChange:
    """A resource a change set adds, modifies, removes or imports; ``replacement``: True/False/Conditional."""

    action: str
    logical_id: str
    resource_type: str
    replacement: str = ""


@dataclass(frozen=True)
class ChangeSet:
    """A change set as CloudFormation describes it; :attr:`is_empty` when there is nothing to change."""

    id: str
    name: str
    stack_name: str
    change_set_type: str
    status: str
    reason: str
    changes: tuple[ResourceChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.status == "FAILED" and is_no_change_reason(self.reason)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (an XCom value)."""
        return {**asdict(self), "changes": [asdict(c) for c in self.changes], "is_empty": self.is_empty}


@dataclass(frozen=True)
class StartedChangeSet:
    """A change set being created (or reused): its ARN, whether it creates or updates the stack, and whether it
    was made earlier (a retry found it)."""

    id: str
    change_set_type: str
    reused: bool = False


def create_change_set(
    session: AccountSession,
    *,
    stack_name: str,
    change_set_name: str,
    template_url: str | None = None,
    parameters: Mapping[str, str],
    tags: Mapping[str, str],
    capabilities: Sequence[str],
    execution_role_arn: str | None,
    description: str = "",
    template_body: str | None = None,
    options: StackOptions | None = None,
) -> ChangeSet:
    """Create a change set (see :func:`start_change_set`) and wait until it is ready, empty or failed.

    An empty change set comes back with ``is_empty``; any other failure raises :class:`DeploymentError`.
    """
    started = start_change_set(
        session,
        stack_name=stack_name,
        change_set_name=change_set_name,
        template_url=template_url,
        parameters=parameters,
        tags=tags,
        capabilities=capabilities,
        execution_role_arn=execution_role_arn,
        description=description,
        template_body=template_body,
        options=options,
    )
    return _wait_for_change_set(session, stack_name, started.id, started.change_set_type)


def start_change_set(
    session: AccountSession,
    *,
    stack_name: str,
    change_set_name: str,
    template_url: str | None = None,
    parameters: Mapping[str, str],
    tags: Mapping[str, str],
    capabilities: Sequence[str],
    execution_role_arn: str | None,
    description: str = "",
    template_body: str | None = None,
    options: StackOptions | None = None,
    deployment_mode: str | None = None,
    stack: StackState | None = None,
) -> StartedChangeSet:
    """Start creating a change set from ``template_url`` (or ``template_body``), or reuse one of that name.

    Safe to call again (a task retry): a change set of that name still being created, or ready and never
    executed, is reused; a FAILED, executed or obsolete one is deleted and created anew. Calls
    ``cloudformation:DescribeStacks``, ``DeleteStack`` (only a stack in ROLLBACK_COMPLETE: it cannot be
    updated), ``DescribeChangeSet``, ``DeleteChangeSet`` and ``CreateChangeSet``. ``options`` gives the change set
    its notification ARNs and rollback triggers; termination protection and the stack policy are not part of a
    change set (see :func:`flightdeck.aws.stack_options.apply_stack_options`). ``deployment_mode="REVERT_DRIFT"``
    makes a drift-aware change set: it also puts drifted properties back to the template's values.

    :raises DeploymentError: the stack is busy (another operation, maybe another run's, is changing it) or stuck
        (``UPDATE_ROLLBACK_FAILED``…), with what to do; or CloudFormation refused the change set.
    """
    stack = check_stack_free(session, stack) if stack is not None else ensure_stack_free(session, stack_name)
    if stack is not None and stack.status == "ROLLBACK_COMPLETE":
        log.warning("Stack %s is ROLLBACK_COMPLETE (its creation failed): deleting it first", stack_name)
        _delete_stack(session, stack_name)
        stack = None
    change_set_type = "CREATE" if stack is None or stack.status == "REVIEW_IN_PROGRESS" else "UPDATE"
    request: dict[str, Any] = {
        "StackName": stack_name,
        "ChangeSetName": change_set_name,
        "ChangeSetType": change_set_type,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())],
        "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        "Capabilities": list(capabilities),
        **({"TemplateURL": template_url} if template_url else {"TemplateBody": template_body}),
        **({"RoleARN": execution_role_arn} if execution_role_arn else {}),
        **({"Description": description[:1024]} if description else {}),
        **change_set_arguments(options),
        **({"DeploymentMode": deployment_mode} if deployment_mode else {}),
    }
    try:
        return StartedChangeSet(_create(session, request), change_set_type)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "AlreadyExistsException":
            raise cfn_error(session, stack_name, f"Cannot create change set {change_set_name}", err) from err
    # A retry or a clear: this run made a change set of that name already.
    existing = _describe_change_set(session, stack_name, change_set_name)
    if existing is not None and _reusable(existing):
        log.info("Change set %s exists already on %s: reusing it", change_set_name, stack_name)
        return StartedChangeSet(existing["ChangeSetId"], change_set_type, reused=True)
    if existing is not None:
        status = f"{existing['Status']}/{existing['ExecutionStatus']}"
        log.info("Change set %s on %s is %s: recreating it", change_set_name, stack_name, status)
        delete_change_set(session, stack_name=stack_name, change_set_id=existing["ChangeSetId"])
    try:
        return StartedChangeSet(_create(session, request), change_set_type)
    except ClientError as err:
        raise cfn_error(session, stack_name, f"Cannot create change set {change_set_name}", err) from err


def _create(session: AccountSession, request: dict[str, Any]) -> str:
    return str(session.client("cloudformation").create_change_set(**request)["Id"])


def execute_change_set(session: AccountSession, *, stack_name: str, change_set_id: str) -> StackState:
    """Execute a ready change set (see :func:`start_execution`) and wait for the stack."""
    start_execution(session, stack_name=stack_name, change_set_id=change_set_id)
    return wait_for_stack(session, stack_name)


def start_execution(
    session: AccountSession,
    *,
    stack_name: str,
    change_set_id: str,
    known: tuple[ChangeSetStatus | None, StackState | None] | None = None,
) -> None:
    """Start executing a ready change set; one executed already (a task retry) is never executed twice.

    Calls ``cloudformation:DescribeChangeSet``, ``DescribeStacks`` (to tell whether a change set that is gone made
    the stack, as CloudFormation deletes a stack's change sets once one ran, and that the stack is free) and
    ``ExecuteChangeSet``. ``known``: the change set's status and the stack as the caller just read them, in
    place of those two calls.

    :raises DeploymentError: the change set cannot be executed (failed, obsolete, deleted without running).
    """
    where = {"account": session.account_id, "region": session.region, "stack": stack_name}
    found, stack = known or (
        change_set_status(session, stack_name=stack_name, change_set_id=change_set_id),
        describe_stack(session, stack_name),
    )
    if found is None:
        if stack is None or (stack.change_set_id and stack.change_set_id != change_set_id):
            raise DeploymentError(f"Change set {change_set_id} is gone and did not make the stack", **where)
        log.warning("Change set %s is gone, so it ran already", change_set_id)
    elif found.execution_status == "AVAILABLE":
        check_stack_free(session, stack)  # not while another operation changes it, or it is stuck
        _start_execution(session, stack_name, change_set_id)
    elif found.execution_status in _EXECUTED:
        log.warning("Change set %s was executed already (%s)", change_set_id, found.execution_status)
    else:
        status = f"{found.status}/{found.execution_status}"
        reason = found.reason
        raise DeploymentError(f"Change set {change_set_id} cannot be executed", **where, status=status, reason=reason)


@dataclass(frozen=True)
class ChangeSetStatus:
    """Where a change set stands, without its changes.

    :param status: ``Status`` (``CREATE_COMPLETE``, ``FAILED``, ``DELETE_COMPLETE``…).
    :param execution_status: ``ExecutionStatus`` (``AVAILABLE``, ``EXECUTE_COMPLETE``, ``OBSOLETE``…).
    :param reason: ``StatusReason``.
    :param created_at: ``CreationTime``, when CloudFormation says.
    """

    status: str
    execution_status: str
    reason: str = ""
    created_at: datetime | None = None

    @property
    def outcome(self) -> ChangeSetOutcome:
        return classify_change_set(self.status, self.execution_status, self.reason)


def change_set_status(session: AccountSession, *, stack_name: str, change_set_id: str) -> ChangeSetStatus | None:
    """The change set's statuses (``cloudformation:DescribeChangeSet``), ``None`` when it does not exist."""
    described = _describe_change_set(session, stack_name, change_set_id)
    if described is None:
        return None
    return ChangeSetStatus(
        status=described.get("Status", ""),
        execution_status=described.get("ExecutionStatus", ""),
        reason=described.get("StatusReason", ""),
        created_at=described.get("CreationTime"),
    )


def describe_change_set_pages(session: AccountSession, *, stack_name: str, change_set_id: str) -> list[dict[str, Any]]:
    """Every page of ``cloudformation:DescribeChangeSet``; ``[{}]`` when the change set does not exist."""
    pages = [_describe_change_set(session, stack_name, change_set_id) or {}]
    while pages[-1].get("NextToken"):
        pages.append(_describe_change_set(session, stack_name, change_set_id, pages[-1]["NextToken"]) or {})
    return pages


def read_change_set(
    session: AccountSession,
    *,
    stack_name: str,
    change_set_id: str,
    change_set_type: str,
    pages: Sequence[Mapping[str, Any]] | None = None,
) -> ChangeSet:
    """The change set with all its changes, as it is now (``cloudformation:DescribeChangeSet``, every page).

    One that does not exist comes back with status ``UNKNOWN``. ``change_set_type`` (CREATE or UPDATE) is not in
    CloudFormation's description: the caller knows it. ``pages``: :func:`describe_change_set_pages` read already.
    """
    if pages is None:
        pages = describe_change_set_pages(session, stack_name=stack_name, change_set_id=change_set_id)
    described = pages[0]
    return ChangeSet(
        id=change_set_id,
        name=described.get("ChangeSetName", ""),
        stack_name=stack_name,
        change_set_type=change_set_type,
        status=described.get("Status", "UNKNOWN"),
        reason=described.get("StatusReason", ""),
        changes=tuple(
            ResourceChange(
                action=change.get("Action", ""),
                logical_id=change.get("LogicalResourceId", ""),
                resource_type=change.get("ResourceType", ""),
                replacement=change.get("Replacement", ""),
            )
            for page in pages
            for change in (c.get("ResourceChange", {}) for c in page.get("Changes", []))
        ),
    )


def delete_change_set(session: AccountSession, *, stack_name: str, change_set_id: str) -> None:
    """Delete a change set (``cloudformation:DeleteChangeSet``); one that does not exist is fine."""
    try:
        session.client("cloudformation").delete_change_set(ChangeSetName=change_set_id, StackName=stack_name)
    except ClientError as err:
        if not is_missing(err):
            raise cfn_error(session, stack_name, f"Cannot delete change set {change_set_id}", err) from err


def _reusable(change_set: dict[str, Any]) -> bool:
    """Still being created, or ready and never executed (not FAILED, executed or obsolete)."""
    if change_set["Status"] in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
        return True
    return change_set["Status"] == "CREATE_COMPLETE" and change_set["ExecutionStatus"] == "AVAILABLE"


def _start_execution(session: AccountSession, stack_name: str, change_set_id: str) -> None:
    try:
        session.client("cloudformation").execute_change_set(ChangeSetName=change_set_id, StackName=stack_name)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "InvalidChangeSetStatus":
            raise cfn_error(session, stack_name, f"Cannot execute change set {change_set_id}", err) from err
        log.warning("Change set %s is being executed already: waiting for %s", change_set_id, stack_name)
    else:
        log.info("Executing change set %s on %s", change_set_id, stack_name)


def _wait_for_change_set(session: AccountSession, stack_name: str, change_set_id: str, kind: str) -> ChangeSet:
    waiter = session.client("cloudformation").get_waiter("change_set_create_complete")
    with contextlib.suppress(WaiterError):  # FAILED, empty or timed out: the description below tells which
        waiter.wait(
            ChangeSetName=change_set_id,
            StackName=stack_name,
            WaiterConfig={"Delay": WAIT_DELAY_SECONDS, "MaxAttempts": WAIT_MAX_ATTEMPTS},
        )
    change_set = read_change_set(session, stack_name=stack_name, change_set_id=change_set_id, change_set_type=kind)
    if change_set.status == "CREATE_COMPLETE" or change_set.is_empty:
        return change_set
    message = "Change set failed" if change_set.status == "FAILED" else "Change set not ready"
    raise DeploymentError(
        f"{message}: {change_set_id}",
        account=session.account_id,
        region=session.region,
        stack=stack_name,
        status=change_set.status,
        reason=change_set.reason,
    )


def _describe_change_set(
    session: AccountSession, stack_name: str, change_set: str, next_token: str | None = None
) -> dict[str, Any] | None:
    """``cloudformation:DescribeChangeSet`` (one page), ``None`` when there is no such change set."""
    paging = {"NextToken": next_token} if next_token else {}
    try:
        return session.client("cloudformation").describe_change_set(
            ChangeSetName=change_set, StackName=stack_name, **paging
        )
    except ClientError as err:
        if is_missing(err):
            return None
        raise cfn_error(session, stack_name, f"Cannot describe change set {change_set}", err) from err


def delete_stack(session: AccountSession, stack_name: str) -> None:
    """Delete a stack and wait until it is gone (``cloudformation:DeleteStack``); a protected stack is refused."""
    _delete_stack(session, stack_name)


def _delete_stack(session: AccountSession, stack_name: str) -> None:
    client = session.client("cloudformation")
    try:
        client.delete_stack(StackName=stack_name)
        client.get_waiter("stack_delete_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": WAIT_DELAY_SECONDS, "MaxAttempts": WAIT_MAX_ATTEMPTS}
        )
    except (ClientError, WaiterError) as err:
        raise cfn_error(session, stack_name, "Cannot delete the stack a failed creation left", err) from err
