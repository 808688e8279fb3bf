"""CloudFormation change sets: create (or reuse), execute once, delete; empty ones are not failures."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from flightdeck.aws.session import AccountSession
from flightdeck.aws.stack_options import StackOptions, change_set_arguments
from flightdeck.aws.stacks import (
    WAIT_DELAY_SECONDS,
    WAIT_MAX_ATTEMPTS,
    Outcome,
    StackState,
    cfn_error,
    classify_status,
    describe_stack,
    is_missing,
    wait_for_stack,
)
from flightdeck.errors import DeploymentError

__all__ = [
    "ChangeSet",
    "Outcome",
    "ResourceChange",
    "StackOptions",
    "StackState",
    "classify_status",
    "create_change_set",
    "delete_change_set",
    "describe_stack",
    "execute_change_set",
    "is_no_change_reason",
    "wait_for_stack",
]

log = logging.getLogger(__name__)

_NO_CHANGE_REASONS = ("The submitted information didn't contain changes", "No updates are to be performed")
_EXECUTED = ("EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE", "EXECUTE_FAILED")


def is_no_change_reason(reason: str | None) -> bool:
    """Whether a FAILED change set's reason means "nothing to change" (AWS has two wordings)."""
    return any(text in (reason or "") for text in _NO_CHANGE_REASONS)


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
    """Create a change set from ``template_url`` (or ``template_body``), or reuse one of that name; wait.

    Calls ``cloudformation:DescribeStacks``, ``DeleteStack`` (only a stack in ROLLBACK_COMPLETE: it cannot
    be updated), ``DescribeChangeSet``, ``DeleteChangeSet`` (a FAILED or used one of the same name) and
    ``CreateChangeSet``.
    ``options`` gives the change set its notification ARNs and rollback triggers; termination protection and the
    stack policy are not part of a change set (see :func:`flightdeck.aws.stack_options.apply_stack_options`).
    An empty change set comes back with ``is_empty``; any other failure raises :class:`DeploymentError`.
    """
    stack = describe_stack(session, stack_name)
    if stack is not None and stack.status == "ROLLBACK_COMPLETE":
        log.warning("Stack %s is ROLLBACK_COMPLETE (its creation failed): deleting it first", stack_name)
        _delete_stack(session, stack_name)
        stack = None
    change_set_type = "CREATE" if stack is None or stack.status == "REVIEW_IN_PROGRESS" else "UPDATE"
    existing = _describe_change_set(session, stack_name, change_set_name)
    if existing is not None and _reusable(existing):
        log.info("Change set %s exists already on %s: reusing it", change_set_name, stack_name)
        return _wait_for_change_set(session, stack_name, existing["ChangeSetId"], change_set_type)
    if existing is not None:
        status = f"{existing['Status']}/{existing['ExecutionStatus']}"
        log.info("Change set %s on %s is %s: recreating it", change_set_name, stack_name, status)
        delete_change_set(session, stack_name=stack_name, change_set_id=existing["ChangeSetId"])
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
    }
    try:
        created = session.client("cloudformation").create_change_set(**request)
    except ClientError as err:
        raise cfn_error(session, stack_name, f"Cannot create change set {change_set_name}", err) from err
    return _wait_for_change_set(session, stack_name, created["Id"], change_set_type)


def execute_change_set(session: AccountSession, *, stack_name: str, change_set_id: str) -> StackState:
    """Execute a ready change set and wait for the stack; a change set executed already is not run twice.

    Calls ``cloudformation:DescribeChangeSet``, ``ExecuteChangeSet``, ``DescribeStacks`` and, on failure,
    ``DescribeStackEvents`` to name the resources that failed.
    """
    where = {"account": session.account_id, "region": session.region, "stack": stack_name}
    change_set = _describe_change_set(session, stack_name, change_set_id)
    if change_set is None:
        # CloudFormation deletes a stack's change sets once one is executed: a retry finds nothing.
        stack = describe_stack(session, stack_name)
        if stack is None or (stack.change_set_id and stack.change_set_id != change_set_id):
            raise DeploymentError(f"Change set {change_set_id} is gone and did not make the stack", **where)
        log.warning("Change set %s is gone, so it ran already: waiting for %s", change_set_id, stack_name)
    elif change_set["ExecutionStatus"] == "AVAILABLE":
        _start_execution(session, stack_name, change_set_id)
    elif change_set["ExecutionStatus"] in _EXECUTED:
        log.warning("Change set %s was executed already: waiting for %s", change_set_id, stack_name)
    else:
        status = f"{change_set['Status']}/{change_set['ExecutionStatus']}"
        reason = change_set.get("StatusReason", "")
        raise DeploymentError(f"Change set {change_set_id} cannot be executed", **where, status=status, reason=reason)
    return wait_for_stack(session, stack_name)


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
    pages = [_describe_change_set(session, stack_name, change_set_id) or {}]
    while pages[-1].get("NextToken"):
        pages.append(_describe_change_set(session, stack_name, change_set_id, pages[-1]["NextToken"]) or {})
    described = pages[0]
    change_set = ChangeSet(
        id=change_set_id,
        name=described.get("ChangeSetName", ""),
        stack_name=stack_name,
        change_set_type=kind,
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


def _delete_stack(session: AccountSession, stack_name: str) -> None:
    client = session.client("cloudformation")
    try:
        client.delete_stack(StackName=stack_name)
        client.get_waiter("stack_delete_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": WAIT_DELAY_SECONDS, "MaxAttempts": WAIT_MAX_ATTEMPTS}
        )
    except (ClientError, WaiterError) as err:
        raise cfn_error(session, stack_name, "Cannot delete the stack a failed creation left", err) from err
