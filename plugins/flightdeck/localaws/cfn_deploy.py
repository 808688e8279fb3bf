"""The deployment transaction: create or update a stack's resources, and roll back on failure as AWS does.

Rolling an update back is ``cfn_update_rollback``'s (it may stop half-way, for ``ContinueUpdateRollback``).
"""

from __future__ import annotations

import logging
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import MAX_UPDATE_ATTEMPTS, OutputMap, ResourceMap

from flightdeck.localaws.cfn_exports import publish_exports, wire_imports
from flightdeck.localaws.cfn_failures import ResourceFailure, error_text, resource_event, set_status, tracking
from flightdeck.localaws.cfn_outputs import refresh_outputs
from flightdeck.localaws.cfn_resources import delete_resource, update_resource
from flightdeck.localaws.cfn_update_rollback import Snapshot, roll_back_update

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


def deploy_create(backend: CloudFormationBackend, stack: Stack, template: Any, parameters: dict[str, Any]) -> bool:
    """Create every resource of ``template``; on failure delete what was created (``ROLLBACK_COMPLETE``)."""
    stack.output_map = _empty_outputs(stack)
    set_status(stack, "CREATE_IN_PROGRESS", "User Initiated")
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
        set_status(stack, "CREATE_COMPLETE")
        return True
    reason = f"{_record_failure(stack, failure)} Rollback requested by user."
    set_status(stack, "ROLLBACK_IN_PROGRESS", reason)
    rollback_errors = []
    for name in reversed(deployment.created):
        resource = stack.resource_map._parsed_resources.get(name)
        try:
            delete_resource(stack, name, resource, stack.resource_map._resource_json_map[name])
        except Exception as err:
            rollback_errors.append(f"{name}: {error_text(err)}")
    if rollback_errors:
        set_status(stack, "ROLLBACK_FAILED", f"{reason} Failed to delete: {'; '.join(rollback_errors)}")
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
    set_status(stack, "ROLLBACK_COMPLETE", reason)
    return False


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
                update_resource(resource_map, name, resource_map._resource_json_map[name])
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


def deploy_update(
    backend: CloudFormationBackend,
    stack: Stack,
    template: Any,
    parameters: dict[str, Any],
    *,
    tags: dict[str, str] | None = None,
    role_arn: str | None = None,
    revert: dict[str, str] | None = None,
) -> bool:
    """Update the stack to ``template``; on failure restore its resources, template and outputs.

    :param revert: drifted resources (logical id → ``MODIFIED`` or ``DELETED``) to put back to the template's
        properties even where the template does not change them (a ``REVERT_DRIFT`` change set).
    """
    before = Snapshot.take(stack)
    resource_map = stack.resource_map
    changes: Changes = {"Add": [], "Modify": [], "Remove": []}
    set_status(stack, "UPDATE_IN_PROGRESS", "User Initiated")
    with tracking(stack) as deployment:
        try:
            template_dict = Stack.parse_template(template)
            if not isinstance(template_dict, dict) or "Resources" not in template_dict:
                raise ValidationError(message="Template format error: At least one Resources member must be defined.")
            wire_imports(backend, stack)
            changes = resource_map.build_resource_diff(template_dict, parameters)
            _add_reverts(resource_map, template_dict, changes, revert or {})
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
        reason = _record_failure(stack, failure)
        roll_back_update(before, deployment, failure, reason)
        return False
    set_status(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    _remove_resources(stack, changes["Remove"], before.map_state["_resource_json_map"])
    if tags is not None:
        stack.tags = tags
    if role_arn:
        stack.role_arn = role_arn
    set_status(stack, "UPDATE_COMPLETE")
    return True


def _add_reverts(resource_map: ResourceMap, template: dict[str, Any], changes: Changes, revert: dict[str, str]) -> None:
    """Drifted resources the update does not touch are updated all the same; deleted ones are created again."""
    touched = set(changes["Add"]) | set(changes["Modify"]) | set(changes["Remove"])
    for name, status in revert.items():
        if name in touched or name not in template["Resources"]:
            continue
        if status == "DELETED":
            resource_map._parsed_resources.pop(name, None)  # created again on first access (see _modified)
        changes["Modify"].append(name)


def _remove_resources(stack: Stack, names: list[str], old_json: dict[str, Any]) -> None:
    pending = [name for name in names if stack.resource_map._parsed_resources.get(name) is not None]
    for _ in range(MAX_UPDATE_ATTEMPTS):
        for name in list(pending):
            try:
                delete_resource(stack, name, stack.resource_map._parsed_resources[name], old_json[name])
            except Exception as err:
                if _ == MAX_UPDATE_ATTEMPTS - 1:
                    resource_event(stack, name, old_json[name].get("Type", ""), "DELETE_FAILED", reason=error_text(err))
                continue
            pending.remove(name)
