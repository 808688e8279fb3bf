"""The deployment transaction: create or update a stack's resources, and roll back on failure as AWS does."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import MAX_UPDATE_ATTEMPTS, OutputMap, ResourceMap

from flightdeck.localaws.cfn_exports import publish_exports, wire_imports
from flightdeck.localaws.cfn_failures import (
    ResourceFailure,
    error_text,
    resource_event,
    stack_event,
    tracking,
)
from flightdeck.localaws.cfn_outputs import refresh_outputs

logger = logging.getLogger(__name__)
Changes = dict[str, list[str]]


def _empty_outputs(stack: Stack) -> OutputMap:
    return OutputMap(stack.resource_map, {}, stack.stack_id)


def _failure_reason(err: BaseException) -> str:
    if isinstance(err, ResourceFailure):
        return f"The following resource(s) failed to {err.action.lower()}: [{err.logical_id}]."
    text = error_text(err)
    return text if text.endswith(".") else f"{text}."


def _record_failure(stack: Stack, err: BaseException) -> str:
    logger.info("deployment of stack %s failed: %s", stack.name, error_text(err))
    if isinstance(err, ResourceFailure):
        resource_event(stack, err.logical_id, err.resource_type, f"{err.action}_FAILED", reason=err.reason)
    return _failure_reason(err)


def _set_status(stack: Stack, status: str, reason: str | None = None) -> None:
    stack.status = status
    stack.status_reason = reason
    stack_event(stack, status, reason)


def _delete_resource(stack: Stack, name: str, resource: Any, resource_json: dict[str, Any]) -> None:
    stack.resource_map._delete_resource(resource, resource_json)
    stack.resource_map._parsed_resources.pop(name, None)
    physical_id = getattr(resource, "physical_resource_id", "")
    resource_event(stack, name, resource_json.get("Type", ""), "DELETE_COMPLETE", physical_id=str(physical_id))


def deploy_create(backend: CloudFormationBackend, stack: Stack, template: Any, parameters: dict[str, Any]) -> bool:
    """Create every resource of ``template``; on failure delete what was created (``ROLLBACK_COMPLETE``)."""
    stack.output_map = _empty_outputs(stack)
    _set_status(stack, "CREATE_IN_PROGRESS", "User Initiated")
    with tracking(stack) as deployment:
        try:
            stack.template = template
            stack._parse_template()
            stack.description = stack.template_dict.get("Description")
            stack.parameters = parameters
            stack.cross_stack_resources = backend.exports
            stack.resource_map = stack._create_resource_map()
            if not stack.resource_map.create(stack.template_dict):
                return True  # a custom resource answers later; Stack.mark_creation_complete then finishes
            refresh_outputs(stack)
            publish_exports(backend, stack)
        except Exception as err:
            failure: Exception | None = err
        else:
            failure = None
    if failure is None:
        _set_status(stack, "CREATE_COMPLETE")
        return True
    reason = f"{_record_failure(stack, failure)} Rollback requested by user."
    _set_status(stack, "ROLLBACK_IN_PROGRESS", reason)
    rollback_errors = []
    for name in reversed(deployment.created):
        resource = stack.resource_map._parsed_resources.get(name)
        try:
            _delete_resource(stack, name, resource, stack.resource_map._resource_json_map[name])
        except Exception as err:
            rollback_errors.append(f"{name}: {error_text(err)}")
    if rollback_errors:
        _set_status(stack, "ROLLBACK_FAILED", f"{reason} Failed to delete: {'; '.join(rollback_errors)}")
        return False
    stack.resource_map = ResourceMap(
        stack.stack_id,
        stack.name,
        {},
        stack.tags,
        region_name=stack.region_name,
        account_id=stack.account_id,
        template={},
        cross_stack_resources=backend.exports,
    )
    stack.output_map = _empty_outputs(stack)
    _set_status(stack, "ROLLBACK_COMPLETE", reason)
    return False


@dataclass
class _Snapshot:
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
    def take(cls, stack: Stack) -> _Snapshot:
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


def _apply_changes(
    resource_map: ResourceMap, template: dict[str, Any], parameters: dict[str, Any], changes: Changes
) -> None:
    """Add and modify resources (removal waits for the cleanup phase, as on AWS)."""
    resource_map._template = template
    if parameters:
        resource_map.input_parameters = parameters
    resource_map.load_mapping()
    resource_map.load_parameters()
    resource_map.load_conditions()
    resource_map._resource_json_map = template["Resources"]
    resource_map.validate_outputs()
    for name in changes["Add"]:
        resource_map[name]  # ResourceMap creates resources on first access
    pending = _modified(resource_map, changes)
    first_errors: dict[str, Exception] = {}
    for _ in range(MAX_UPDATE_ATTEMPTS):  # moto retries, for resources that depend on one another
        for name in list(pending):
            try:
                _update_resource(resource_map, name, resource_map._resource_json_map[name])
            except Exception as err:
                first_errors.setdefault(name, err)  # later attempts fail on what the first one broke
                continue
            pending.remove(name)
        if not pending:
            return
    raise first_errors[pending[0]]


def _modified(resource_map: ResourceMap, changes: Changes) -> list[str]:
    """The changed resources to update, honouring their ``Condition`` as AWS does (moto's diff ignores it).

    One whose condition is false is not updated: removed in the cleanup phase if it exists (the condition turned
    false), left alone if it never existed. One that never existed and whose condition is true now is created.
    """
    pending = []
    for name in changes["Modify"]:
        condition = resource_map._resource_json_map[name].get("Condition")
        exists = resource_map._parsed_resources.get(name) is not None
        if condition and not resource_map.lazy_condition_map[condition]:
            if exists:
                changes["Remove"].append(name)
            continue
        if not exists:
            resource_map._parsed_resources.pop(name, None)
            resource_map[name]  # created on first access
            continue
        pending.append(name)
    return pending


def _update_resource(resource_map: ResourceMap, name: str, resource_json: dict[str, Any]) -> Any:
    resource = parsing.parse_and_update_resource(
        name,
        resource_json,
        resource_map,
        account_id=resource_map._account_id,
        region_name=resource_map._region_name,
    )
    if resource is not None:  # None: the type cannot be updated, the resource stays as it was
        resource_map._parsed_resources[name] = resource
    return resource


def deploy_update(
    backend: CloudFormationBackend,
    stack: Stack,
    template: Any,
    parameters: dict[str, Any],
    *,
    tags: dict[str, str] | None = None,
    role_arn: str | None = None,
) -> bool:
    """Update the stack to ``template``; on failure restore its resources, template and outputs."""
    before = _Snapshot.take(stack)
    resource_map = stack.resource_map
    changes: Changes = {"Add": [], "Modify": [], "Remove": []}
    _set_status(stack, "UPDATE_IN_PROGRESS", "User Initiated")
    with tracking(stack) as deployment:
        try:
            template_dict = Stack.parse_template(template)
            if not isinstance(template_dict, dict) or "Resources" not in template_dict:
                raise ValidationError(message="Template format error: At least one Resources member must be defined.")
            wire_imports(backend, stack)
            changes = resource_map.build_resource_diff(template_dict, parameters)
            stack.template, stack.template_dict = template, template_dict
            stack.description = template_dict.get("Description")
            if parameters:
                stack.parameters = parameters
            _apply_changes(resource_map, template_dict, parameters, changes)
            refresh_outputs(stack)
            publish_exports(backend, stack)
        except Exception as err:
            failure: Exception | None = err
        else:
            failure = None
    if failure is not None:
        _roll_back_update(stack, before, deployment.created, deployment.updated, failure)
        return False
    _set_status(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    _remove_resources(stack, changes["Remove"], before.map_state["_resource_json_map"])
    if tags is not None:
        stack.tags = tags
    if role_arn:
        stack.role_arn = role_arn
    _set_status(stack, "UPDATE_COMPLETE")
    return True


def _remove_resources(stack: Stack, names: list[str], old_json: dict[str, Any]) -> None:
    pending = [name for name in names if stack.resource_map._parsed_resources.get(name) is not None]
    for _ in range(MAX_UPDATE_ATTEMPTS):
        for name in list(pending):
            try:
                _delete_resource(stack, name, stack.resource_map._parsed_resources[name], old_json[name])
            except Exception as err:
                if _ == MAX_UPDATE_ATTEMPTS - 1:
                    resource_event(stack, name, old_json[name].get("Type", ""), "DELETE_FAILED", reason=error_text(err))
                continue
            pending.remove(name)


def _restore_resource(resource_map: ResourceMap, name: str, resource_json: dict[str, Any]) -> Any:
    """Put a resource back to its previous properties.

    moto updates some types by deleting and re-creating them, so a failed update may have deleted the
    resource: when updating it back fails, it is created again from its previous properties.
    """
    try:
        return _update_resource(resource_map, name, resource_json)
    except ResourceFailure:
        resource_map._parsed_resources.pop(name, None)
        return resource_map[name]


def _roll_back_update(
    stack: Stack, before: _Snapshot, created: list[str], updated: list[str], failure: Exception
) -> None:
    reason = _record_failure(stack, failure)
    _set_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
    resource_map = stack.resource_map
    new_json = dict(resource_map._resource_json_map)
    created_resources = {name: resource_map._parsed_resources.get(name) for name in created}
    touched = list(updated)
    if isinstance(failure, ResourceFailure) and failure.action == "UPDATE":
        touched.append(failure.logical_id)
    old_json: dict[str, Any] = before.map_state["_resource_json_map"]
    try:
        before.restore_resource_map()
        for name in dict.fromkeys(touched):
            if name in old_json:
                resource = _restore_resource(resource_map, name, old_json[name])
                physical_id = str(getattr(resource, "physical_resource_id", ""))
                resource_event(stack, name, old_json[name]["Type"], "UPDATE_COMPLETE", physical_id=physical_id)
        for name in reversed(created):
            if created_resources[name] is not None:
                resource_map._parsed_resources[name] = created_resources[name]
                _delete_resource(stack, name, created_resources[name], new_json[name])
    except Exception as err:
        _set_status(stack, "UPDATE_ROLLBACK_FAILED", f"{reason} Rollback failed: {error_text(err)}")
        return
    before.restore_stack()
    _set_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", reason)
    _set_status(stack, "UPDATE_ROLLBACK_COMPLETE", reason)
