"""Slow CloudFormation faults: change sets and stacks shown, and guarded, as in progress for a while.

They change only what ``DescribeStacks``, ``ListStacks``, ``DescribeChangeSet`` and ``ListChangeSets`` report: moto
still completes synchronously, and for the configured seconds afterwards the change set or stack is shown (and
guarded) as still in progress. The configuration lives in ``faults`` (``cloudformation`` section).
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

from flightdeck.localaws.faults import lock, state
from flightdeck.localaws.post_import import when_imported


def _pending(table: dict[str, Any], key: str) -> Any:
    """The window of ``key`` while it lasts (expired ones are dropped)."""
    if not table:  # no slow operations configured: no lock taken
        return None
    with lock:
        entry = table.get(key)
        if entry is not None and (entry if isinstance(entry, float) else entry[0]) <= time.monotonic():
            del table[key]
            entry = None
    return entry


def _start(table: dict[str, Any], key: str, seconds: float, status: str | None = None) -> None:
    if seconds > 0:
        until = time.monotonic() + seconds
        with lock:
            table[key] = until if status is None else (until, status)


def _view(model: Any, **shown: Any) -> Any:
    """A shallow copy of a moto model showing other values (made without ``__new__``: moto tracks instances)."""
    copy = object.__new__(type(model))
    copy.__dict__.update(model.__dict__, **shown)
    return copy


def _stack_view(stack: Any) -> Any:
    busy = _pending(state.busy, stack.stack_id) if stack.status != "DELETE_COMPLETE" else None
    return _view(stack, status=busy[1], status_reason="User Initiated") if busy else stack


def _change_set_view(change_set: Any) -> Any:
    if _pending(state.creating, change_set.change_set_id):
        return _view(
            change_set, status="CREATE_IN_PROGRESS", execution_status="UNAVAILABLE", status_reason=None, changes=[]
        )
    if _pending(state.executing, change_set.change_set_id):
        return _view(change_set, execution_status="EXECUTE_IN_PROGRESS")
    return change_set


def _seconds(name: str) -> float:
    faults = state.faults
    return getattr(faults, name) if faults else 0.0


def _busy_status(stack: Any | None) -> str | None:
    """The in-progress status a stack is shown with, while its window lasts."""
    busy = _pending(state.busy, stack.stack_id) if stack is not None else None
    return busy[1] if busy else None


def _live_stack(backend: Any, name: str) -> Any | None:
    return backend.stacks.get(name) or next((s for s in list(backend.stacks.values()) if s.name == name), None)


_CFN_OPERATIONS = (
    "create_stack",
    "update_stack",
    "continue_update_rollback",
    "create_change_set",
    "execute_change_set",
    "describe_stacks",
    "list_stacks",
    "describe_change_set",
    "list_change_sets",
)


def _patch_cloudformation(module: ModuleType) -> None:
    """Wrap the (already fixed) backend operations: in-progress windows shown and guarded as AWS does."""
    from moto.cloudformation.exceptions import ValidationError

    from flightdeck.localaws.cfn_change_sets import InvalidChangeSetStatus, find_change_set
    from flightdeck.localaws.cfn_update_rollback import NOT_CONTINUABLE

    backend = module.CloudFormationBackend
    if getattr(backend.describe_stacks, "_flightdeck_faults", False):
        return
    originals = {name: getattr(backend, name) for name in _CFN_OPERATIONS}

    def refuse_if_busy(stack: Any | None) -> None:
        if status := _busy_status(stack):
            raise ValidationError(message=f"Stack:{stack.stack_id} is in {status} state and can not be updated.")

    def create_stack(self: Any, **kwargs: Any) -> Any:
        stack = originals["create_stack"](self, **kwargs)
        _start(state.busy, stack.stack_id, _seconds("stack_operation_seconds"), "CREATE_IN_PROGRESS")
        return stack

    def update_stack(self: Any, **kwargs: Any) -> Any:
        refuse_if_busy(_live_stack(self, kwargs["name"]))
        stack = originals["update_stack"](self, **kwargs)
        _start(state.busy, stack.stack_id, _seconds("stack_operation_seconds"), "UPDATE_IN_PROGRESS")
        return stack

    def continue_update_rollback(self: Any, **kwargs: Any) -> Any:
        if _busy_status(_live_stack(self, kwargs["stack_name"])):
            raise ValidationError(message=NOT_CONTINUABLE)
        stack = originals["continue_update_rollback"](self, **kwargs)
        _start(state.busy, stack.stack_id, _seconds("stack_operation_seconds"), "UPDATE_ROLLBACK_IN_PROGRESS")
        return stack

    def create_change_set(self: Any, **kwargs: Any) -> tuple[str, str]:
        if kwargs.get("change_set_type") != "CREATE":
            refuse_if_busy(_live_stack(self, kwargs["stack_name"]))
        change_set_id, stack_id = originals["create_change_set"](self, **kwargs)
        _start(state.creating, change_set_id, _seconds("change_set_seconds"))
        return change_set_id, stack_id

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = find_change_set(self, change_set_name, stack_name)
        if _pending(state.creating, change_set.change_set_id):
            status = "status of [CREATE_IN_PROGRESS]"
        elif _pending(state.executing, change_set.change_set_id):
            status = "execution status of [EXECUTE_IN_PROGRESS]"
        else:
            status = ""
        if status:
            raise InvalidChangeSetStatus(
                f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current {status}"
            )
        refuse_if_busy(self.stacks.get(change_set.stack_id))
        originals["execute_change_set"](self, change_set_name, stack_name)
        status = "CREATE_IN_PROGRESS" if change_set.change_set_type == "CREATE" else "UPDATE_IN_PROGRESS"
        _start(state.busy, change_set.stack_id, _seconds("stack_operation_seconds"), status)
        _start(state.executing, change_set.change_set_id, _seconds("stack_operation_seconds"))

    def describe_stacks(self: Any, name_or_stack_id: str) -> list[Any]:
        return [_stack_view(s) for s in originals["describe_stacks"](self, name_or_stack_id)]

    def list_stacks(self: Any, status_filter: list[str] | None = None) -> list[Any]:
        stacks = [_stack_view(s) for s in originals["list_stacks"](self, None)]
        return [s for s in stacks if not status_filter or s.status in status_filter]

    def describe_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> Any:
        return _change_set_view(originals["describe_change_set"](self, change_set_name, stack_name))

    def list_change_sets(self: Any, stack_name: str | None = None) -> list[Any]:
        return [_change_set_view(cs) for cs in originals["list_change_sets"](self, stack_name)]

    wrappers = (
        create_stack,
        update_stack,
        continue_update_rollback,
        create_change_set,
        execute_change_set,
        describe_stacks,
        list_stacks,
        describe_change_set,
        list_change_sets,
    )
    for wrapper in wrappers:
        wrapper._flightdeck_faults = True  # type: ignore[attr-defined]
        setattr(backend, wrapper.__name__, wrapper)


def apply() -> None:
    """Slow CloudFormation down when configured (wrapping the CloudFormation fixes, registered before this)."""
    when_imported("moto.cloudformation.models", _patch_cloudformation)
