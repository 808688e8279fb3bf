"""Update rollback as on AWS: stopped by a resource that fails, resumed by ``ContinueUpdateRollback``.

A stopped rollback leaves the stack ``UPDATE_ROLLBACK_FAILED`` with what is left to do (``pending_rollback``).
moto 5.2.5 does not implement ``ContinueUpdateRollback`` (HTTP 500).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import OutputMap
from moto.core.responses import ActionResult, EmptyResult

from flightdeck.localaws.cfn_failures import Deployment, ResourceFailure, error_text, resource_event, set_status
from flightdeck.localaws.cfn_resources import delete_resource, physical_id, restore_resource
from flightdeck.localaws.faults import injected_rollback_failure
from flightdeck.localaws.post_import import when_imported

if TYPE_CHECKING:  # imported by moto only after the models this module patches
    from moto.cloudformation.responses import CloudFormationResponse

# AWS's wording: the operation's internal name shows through.
NOT_CONTINUABLE = "RollbackUpdatedStack cannot be called from current stack status"
SKIPPED = "Resource skipped during UpdateRollback"


@dataclass
class Snapshot:
    """A stack as it was before an update, to restore on rollback."""

    stack: Stack
    template: Any = None
    template_dict: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    output_map: OutputMap | None = None
    map_state: dict[str, Any] = field(default_factory=dict)

    _MAP_FIELDS = (
        "_template",
        "_resource_json_map",
        "input_parameters",
        "_parsed_resources",
        "resolved_parameters",
    )

    @classmethod
    def take(cls, stack: Stack) -> Snapshot:
        resource_map = stack.resource_map
        return cls(
            stack=stack,
            template=stack.template,
            template_dict=stack.template_dict,
            description=stack.description,
            parameters=stack.parameters,
            output_map=stack.output_map,
            map_state={name: _copy(getattr(resource_map, name)) for name in cls._MAP_FIELDS},
        )

    @property
    def resources_json(self) -> dict[str, Any]:
        """The ``Resources`` of the template before the update."""
        return self.map_state["_resource_json_map"]

    def restore_resource_map(self) -> None:
        resource_map = self.stack.resource_map
        for name, value in self.map_state.items():
            setattr(resource_map, name, _copy(value))
        resource_map.load_conditions()

    def restore_stack(self) -> None:
        self.stack.template = self.template
        self.stack.template_dict = self.template_dict
        self.stack.description = self.description
        self.stack.parameters = self.parameters
        self.stack.output_map = self.output_map


def _copy(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else value


class InjectedFault(Exception):
    """The rollback failure set through ``/_flightdeck/faults`` (``cloudformation.rollback_failure``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.message = reason  # error_text shows it as it is


@dataclass
class PendingRollback:
    """What the rollback of a failed update still has to do; kept on the stack while it is ``UPDATE_ROLLBACK_FAILED``.

    :param before: the stack before the update.
    :param reason: why the update failed (the rollback's status reason).
    :param restore: resources to put back to their previous properties, in order -> the resource as it is now.
    :param delete: resources the update created, to delete, in order -> the resource and its template entry.
    :param resources: the logical ids of the templates before and after the update.
    """

    before: Snapshot
    reason: str
    restore: dict[str, Any]
    delete: dict[str, tuple[Any, dict[str, Any]]]
    resources: set[str]
    failed: set[str] = field(default_factory=set)  # whose rollback failed: the ones ResourcesToSkip may name
    map_restored: bool = False

    @classmethod
    def of_update(cls, before: Snapshot, deployment: Deployment, failure: Exception, reason: str) -> PendingRollback:
        """What rolling back ``deployment``, which failed with ``failure``, has to do."""
        parsed = before.stack.resource_map._parsed_resources
        new_json = dict(before.stack.resource_map._resource_json_map)
        touched = list(deployment.updated)
        if isinstance(failure, ResourceFailure) and failure.action == "UPDATE":
            touched.append(failure.logical_id)
        return cls(
            before=before,
            reason=reason,
            restore={name: parsed.get(name) for name in dict.fromkeys(touched) if name in before.resources_json},
            delete={
                name: (parsed[name], new_json[name])
                for name in reversed(deployment.created)
                if parsed.get(name) is not None
            },
            resources=set(before.resources_json) | set(new_json),
        )

    def resource_type(self, name: str) -> str:
        resource_json = self.before.resources_json[name] if name in self.restore else self.delete[name][1]
        return str(resource_json.get("Type", ""))

    def skip_error(self, stack: Stack, skip: list[str]) -> str | None:
        """Why AWS would fail a rollback asked to skip ``skip`` (``None``: it may)."""
        if unknown := [name for name in skip if name not in self.resources]:
            return f"Resources with logicalIds [{', '.join(unknown)}] do not belong to stack {stack.name}"
        if any(name not in self.failed for name in skip):
            return "Only the resources in UPDATE_FAILED state are allowed to be skipped"
        return None


def roll_back_update(before: Snapshot, deployment: Deployment, failure: Exception, reason: str) -> None:
    """Undo a failed update: put back what it changed, delete what it created (``UPDATE_ROLLBACK_COMPLETE``)."""
    _run(before.stack, PendingRollback.of_update(before, deployment, failure, reason), [], reason)


def _run(stack: Stack, pending: PendingRollback, skip: list[str], started: str) -> None:
    """Roll back, skipping ``skip``; a failure keeps what is left to do on the stack (``UPDATE_ROLLBACK_FAILED``).

    While the fault is injected, the first resource not skipped fails before anything is restored.
    """
    set_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", started)
    stack.pending_rollback = None
    try:
        if not pending.map_restored:
            _restore_map(stack, pending)
        for name in [name for name in (*pending.restore, *pending.delete) if name in skip]:
            _skip(stack, pending, name)
        steps = [*((name, "UPDATE") for name in pending.restore), *((name, "DELETE") for name in pending.delete)]
        if (injected := injected_rollback_failure()) and steps:
            name, action = steps[0]
            raise ResourceFailure(name, pending.resource_type(name), action, InjectedFault(injected))
        for name, action in steps:
            (_restore if action == "UPDATE" else _delete)(stack, pending, name)
    except Exception as err:
        if isinstance(err, ResourceFailure):
            resource_event(stack, err.logical_id, err.resource_type, f"{err.action}_FAILED", reason=err.reason)
            pending.failed.add(err.logical_id)
        stack.pending_rollback = pending
        set_status(stack, "UPDATE_ROLLBACK_FAILED", f"{pending.reason} Rollback failed: {error_text(err)}")
        return
    pending.before.restore_stack()
    set_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", pending.reason)
    set_status(stack, "UPDATE_ROLLBACK_COMPLETE", pending.reason)


def _restore_map(stack: Stack, pending: PendingRollback) -> None:
    """The stack holds its previous resources again, and, until they are deleted, those the update created."""
    pending.before.restore_resource_map()
    resource_map = stack.resource_map
    for name, (resource, resource_json) in pending.delete.items():
        resource_map._parsed_resources[name] = resource
        resource_map._resource_json_map.setdefault(name, resource_json)
    pending.map_restored = True


def _forget(stack: Stack, pending: PendingRollback, name: str) -> None:
    """A resource the update created is no longer the stack's."""
    stack.resource_map._parsed_resources.pop(name, None)
    if name not in pending.before.resources_json:  # else its condition made it absent before the update
        stack.resource_map._resource_json_map.pop(name, None)


def _failure(name: str, resource_type: str, action: str, err: Exception) -> ResourceFailure:
    """The failure of rolling ``name`` back (moto's own error, not that of a nested create or update)."""
    cause = err.cause if isinstance(err, ResourceFailure) and err.logical_id == name else err
    return ResourceFailure(name, resource_type, action, cause)


def _restore(stack: Stack, pending: PendingRollback, name: str) -> None:
    resource_json = pending.before.resources_json[name]
    try:
        resource = restore_resource(stack.resource_map, name, resource_json)
    except Exception as err:
        raise _failure(name, resource_json["Type"], "UPDATE", err) from err
    del pending.restore[name]
    pending.failed.discard(name)
    resource_event(stack, name, resource_json["Type"], "UPDATE_COMPLETE", physical_id=physical_id(resource))


def _delete(stack: Stack, pending: PendingRollback, name: str) -> None:
    resource, resource_json = pending.delete[name]
    try:
        delete_resource(stack, name, resource, resource_json)
    except Exception as err:
        raise _failure(name, str(resource_json.get("Type", "")), "DELETE", err) from err
    del pending.delete[name]
    pending.failed.discard(name)
    _forget(stack, pending, name)


def _skip(stack: Stack, pending: PendingRollback, name: str) -> None:
    """Leave a resource as the failed update left it and mark it ``UPDATE_COMPLETE``, as AWS does."""
    resource_type = pending.resource_type(name)
    if name in pending.restore:
        resource = pending.restore.pop(name)
        if resource is not None:
            stack.resource_map._parsed_resources[name] = resource
    else:
        resource, _ = pending.delete.pop(name)
        _forget(stack, pending, name)  # kept in the account, no longer in the stack
    pending.failed.discard(name)
    resource_event(stack, name, resource_type, "UPDATE_COMPLETE", reason=SKIPPED, physical_id=physical_id(resource))


def continue_update_rollback(
    self: CloudFormationBackend,
    *,
    stack_name: str,
    role_arn: str | None = None,
    resources_to_skip: list[str] | None = None,
    force_rollback: bool = False,
) -> Stack:
    """``ContinueUpdateRollback``: resume the rollback of a stack in ``UPDATE_ROLLBACK_FAILED``."""
    stack = self.get_stack(stack_name)  # ValidationError "Stack with id ... does not exist"
    pending: PendingRollback | None = stack.pending_rollback
    if stack.status != "UPDATE_ROLLBACK_FAILED" or pending is None:
        raise ValidationError(message=NOT_CONTINUABLE)
    skip = list(resources_to_skip or [])
    if force_rollback and skip:
        raise ValidationError(message="ForceRollback and ResourcesToSkip cannot be specified together.")
    if role_arn:
        stack.role_arn = role_arn
    if force_rollback:
        skip = sorted(pending.failed)
    if error := pending.skip_error(stack, skip):  # AWS accepts the call, then fails the rollback with the reason
        set_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated")
        set_status(stack, "UPDATE_ROLLBACK_FAILED", error)
        return stack
    _run(stack, pending, skip, "User Initiated")
    return stack


def _continue_update_rollback_response(self: CloudFormationResponse) -> ActionResult:
    """``ContinueUpdateRollback``."""
    self.cloudformation_backend.continue_update_rollback(
        stack_name=self._get_param("StackName"),
        role_arn=self._get_param("RoleARN"),
        resources_to_skip=self._get_param("ResourcesToSkip"),
        force_rollback=bool(self._get_bool_param("ForceRollback", False)),
    )
    return EmptyResult()


def _patch_responses(module: ModuleType) -> None:
    module.CloudFormationResponse.continue_update_rollback = _continue_update_rollback_response


def apply() -> None:
    """Implement ``ContinueUpdateRollback``."""
    if getattr(CloudFormationBackend, "continue_update_rollback", None) is continue_update_rollback:
        return
    CloudFormationBackend.continue_update_rollback = continue_update_rollback  # type: ignore[attr-defined]
    Stack.pending_rollback = None  # type: ignore[attr-defined]
    when_imported("moto.cloudformation.responses", _patch_responses)
