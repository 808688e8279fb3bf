"""Resource-level failures and stack events: every resource error names its resource, nothing becomes HTTP 500."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.models import Event, Stack
from moto.core.exceptions import ServiceException


class ResourceFailure(Exception):
    """Creating or updating one resource of a stack failed.

    :param logical_id: the resource's logical id in the template.
    :param resource_type: its ``Type``.
    :param action: ``CREATE``, ``UPDATE`` or (rolling an update back) ``DELETE``.
    :param cause: the error moto (or a fix) raised.
    """

    def __init__(self, logical_id: str, resource_type: str, action: str, cause: BaseException) -> None:
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.action = action
        self.cause = cause
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        """``ResourceStatusReason`` of the ``*_FAILED`` event: names the resource and the error."""
        return f"{self.resource_type} {self.logical_id} failed to {self.action.lower()}: {error_text(self.cause)}"


def error_text(error: BaseException) -> str:
    """A one-line description of an error, as a stack event would show it."""
    if isinstance(error, ResourceFailure):
        return error.reason
    if isinstance(error, ServiceException):
        return f"{error.code}: {error.message}"
    message, code = getattr(error, "message", None), getattr(error, "error_type", None)
    if isinstance(message, str) and message:  # moto's older REST errors
        return f"{code}: {message}" if code else message
    if isinstance(error, KeyError):
        return f"missing required property or key {error.args[0]!r}"
    if len(error.args) > 1 and all(isinstance(arg, str) for arg in error.args):
        return ": ".join(error.args)  # moto's ValueError("Code", "message") convention
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


@dataclass
class Deployment:
    """What one create/update of a stack has done so far (for resource events and for rollback)."""

    stack: Stack
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    started: set[tuple[str, str]] = field(default_factory=set)


_active: dict[str, Deployment] = {}
_active_lock = threading.Lock()


@contextmanager
def tracking(stack: Stack) -> Iterator[Deployment]:
    """Record the resources a deployment of ``stack`` creates and updates, and their events."""
    deployment = Deployment(stack)
    with _active_lock:
        _active[stack.stack_id] = deployment
    try:
        yield deployment
    finally:
        with _active_lock:
            _active.pop(stack.stack_id, None)


def stack_event(stack: Stack, status: str, reason: str | None = None) -> None:
    """Add a stack-level event."""
    stack._add_stack_event(status, resource_status_reason=reason)


def set_status(stack: Stack, status: str, reason: str | None = None) -> None:
    """Set the stack's status and reason, and add the stack-level event."""
    stack.status = status
    stack.status_reason = reason
    stack_event(stack, status, reason)


def resource_event(
    stack: Stack,
    logical_id: str,
    resource_type: str,
    status: str,
    *,
    reason: str | None = None,
    physical_id: str = "",
) -> None:
    """Add a resource-level event (moto only ever records stack-level ones)."""
    event = Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id,
        physical_resource_id=physical_id,
        resource_type=resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )
    event.sendToSns(stack.account_id, stack.region_name, stack.notification_arns)
    stack.events.append(event)


def _deployment_of(resources_map: parsing.ResourceMap) -> Deployment | None:
    with _active_lock:
        return _active.get(resources_map.stack_id)


def _physical_id(resource: Any) -> str:
    value = getattr(resource, "physical_resource_id", "")
    return value if isinstance(value, str) else ""


def _run(
    action: str,
    original: Any,
    logical_id: str,
    resource_json: dict[str, Any],
    resources_map: parsing.ResourceMap,
    **kwargs: Any,
) -> Any:
    resource_type = str(resource_json.get("Type", ""))
    deployment = _deployment_of(resources_map)
    if deployment and (logical_id, action) not in deployment.started:
        deployment.started.add((logical_id, action))
        resource_event(deployment.stack, logical_id, resource_type, f"{action}_IN_PROGRESS")
    try:
        resource = original(logical_id, resource_json, resources_map, **kwargs)
    except ResourceFailure:
        raise  # a dependency (created on demand through Ref/GetAtt) failed: it keeps the blame
    except Exception as err:
        raise ResourceFailure(logical_id, resource_type, action, err) from err
    if deployment and resource is not None:
        (deployment.created if action == "CREATE" else deployment.updated).append(logical_id)
        resource_event(
            deployment.stack,
            logical_id,
            resource_type,
            f"{action}_COMPLETE",
            physical_id=_physical_id(resource),
        )
    return resource


def apply() -> None:
    """Wrap moto's per-resource create/update so errors name their resource and events are recorded."""
    if getattr(parsing.parse_and_create_resource, "_flightdeck", False):
        return
    original_create = parsing.parse_and_create_resource
    original_update = parsing.parse_and_update_resource

    def parse_and_create_resource(logical_id: str, resource_json: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return _run("CREATE", original_create, logical_id, resource_json, *args, **kwargs)

    def parse_and_update_resource(logical_id: str, resource_json: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return _run("UPDATE", original_update, logical_id, resource_json, *args, **kwargs)

    parse_and_create_resource._flightdeck = True  # type: ignore[attr-defined]
    parsing.parse_and_create_resource = parse_and_create_resource
    parsing.parse_and_update_resource = parse_and_update_resource
