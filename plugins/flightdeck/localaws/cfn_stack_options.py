"""Stack options: termination protection, and a change set's rollback configuration and notification ARNs kept."""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Stack
from moto.core.responses import ActionResult

from flightdeck.localaws.cfn_change_sets import find_change_set
from flightdeck.localaws.post_import import when_imported

if TYPE_CHECKING:  # imported by moto only after the models this module patches
    from moto.cloudformation.responses import CloudFormationResponse

# ``DescribeStacks`` and ``DescribeChangeSet`` show ``RollbackConfiguration: {}`` when none was given, as AWS does.
_NONE: dict[str, Any] = {}


def _live_stack(backend: CloudFormationBackend, name_or_id: str) -> Stack | None:
    if name_or_id in backend.stacks:
        return backend.stacks[name_or_id]
    return next((stack for stack in backend.stacks.values() if stack.name == name_or_id), None)


def update_termination_protection(self: CloudFormationBackend, stack_name: str, enabled: bool) -> Stack:
    """``UpdateTerminationProtection`` (moto 5.2.5 does not implement it: HTTP 500)."""
    stack = _live_stack(self, stack_name)
    if stack is None:
        raise ValidationError(stack_name, message=f"Stack [{stack_name}] does not exist")
    stack.enable_termination_protection = enabled
    return stack


def _refuse_protected(delete_stack: Callable[[CloudFormationBackend, str], None]) -> Callable[..., None]:
    """``DeleteStack`` that leaves a stack with termination protection in place, with AWS's ``ValidationError``."""

    @functools.wraps(delete_stack)  # keeps the ``_flightdeck`` marker the other fixes look for
    def guarded(self: CloudFormationBackend, name_or_stack_id: str) -> None:
        stack = _live_stack(self, name_or_stack_id)
        if stack is not None and stack.enable_termination_protection:
            raise ValidationError(
                message=f"Stack [{name_or_stack_id}] cannot be deleted while TerminationProtection is enabled"
            )
        delete_stack(self, name_or_stack_id)

    return guarded


def merged_rollback_configuration(current: dict[str, Any], requested: dict[str, Any] | None) -> dict[str, Any]:
    """The stack's rollback configuration after an update that gave ``requested`` (None: not given).

    AWS keeps the previous configuration when none is given; given triggers replace the previous ones (an empty
    list removes them all), and so does a given monitoring time; a part not given stays as it was.
    """
    if requested is None:
        return current
    return {**current, **requested}


def _keep_options(change_set: ChangeSet, response: CloudFormationResponse) -> None:
    """Record what the request asked for: ``None`` means "not given" (keep the stack's), ``[]`` means "remove"."""
    requested = response._get_param("RollbackConfiguration")
    change_set.requested_rollback_configuration = dict(requested) if requested is not None else None
    change_set.rollback_configuration = dict(requested or _NONE)
    arns = response._get_param("NotificationARNs")
    change_set.requested_notification_arns = list(arns) if arns is not None else None


def _apply_options(stack: Stack, change_set: ChangeSet) -> None:
    """What an executed change set changes besides resources, tags and parameters."""
    requested: dict[str, Any] | None = getattr(change_set, "requested_rollback_configuration", None)
    stack.rollback_configuration = merged_rollback_configuration(stack.rollback_configuration, requested)
    arns: list[str] | None = getattr(change_set, "requested_notification_arns", None)
    if arns is not None:
        stack.notification_arns = list(arns)


def _apply_on_success(execute: Callable[..., None]) -> Callable[..., None]:
    """``ExecuteChangeSet`` after which a stack takes the change set's options, when it succeeded."""

    @functools.wraps(execute)  # keeps the ``_flightdeck`` marker the other fixes look for
    def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = find_change_set(self, change_set_name, stack_name)
        execute(self, change_set_name, stack_name)
        stack = self.stacks.get(change_set.stack_id)
        if stack is not None and change_set.execution_status == "EXECUTE_COMPLETE":
            _apply_options(stack, change_set)

    return execute_change_set


def _update_termination_protection_response(self: CloudFormationResponse) -> ActionResult:
    """``UpdateTerminationProtection``."""
    stack = self.cloudformation_backend.update_termination_protection(
        stack_name=self._get_param("StackName"),
        enabled=bool(self._get_bool_param("EnableTerminationProtection", False)),
    )
    return ActionResult({"StackId": stack.stack_id})


def _patch_responses(module: ModuleType) -> None:
    response_class = module.CloudFormationResponse
    response_class.update_termination_protection = _update_termination_protection_response
    create_change_set = response_class.create_change_set

    def _create_change_set(self: CloudFormationResponse) -> ActionResult:
        """``CreateChangeSet``, keeping the ``RollbackConfiguration`` and ``NotificationARNs`` it was given."""
        result = create_change_set(self)
        change_set_id = result.result["Id"]  # type: ignore[index]
        _keep_options(self.cloudformation_backend.change_sets[change_set_id], self)
        return result

    response_class.create_change_set = _create_change_set


def apply() -> None:
    """Implement ``UpdateTerminationProtection``, enforce it on delete; keep a change set's options."""
    if getattr(CloudFormationBackend, "update_termination_protection", None) is update_termination_protection:
        return
    CloudFormationBackend.update_termination_protection = update_termination_protection  # type: ignore[attr-defined]
    CloudFormationBackend.delete_stack = _refuse_protected(CloudFormationBackend.delete_stack)  # type: ignore[method-assign]
    CloudFormationBackend.execute_change_set = _apply_on_success(CloudFormationBackend.execute_change_set)  # type: ignore[method-assign]
    # Class defaults, never mutated: a stack or change set that gets a configuration gets its own dict.
    Stack.rollback_configuration = _NONE  # type: ignore[attr-defined]
    ChangeSet.rollback_configuration = _NONE  # type: ignore[attr-defined]
    when_imported("moto.cloudformation.responses", _patch_responses)
