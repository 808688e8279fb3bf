"""Change sets scoped to their stack, executed through the deployment transaction, with AWS's status rules."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from moto.cloudformation.exceptions import AlreadyExistsException, CloudFormationError, ValidationError
from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Stack
from moto.cloudformation.utils import generate_changeset_id, generate_stack_id, validate_create_change_set
from moto.core.responses import ActionResult, EmptyResult

from flightdeck.localaws.cfn_deploy import deploy_create, deploy_update
from flightdeck.localaws.cfn_failures import stack_event
from flightdeck.localaws.cfn_stacks import check_updatable, register_stack, validate_template
from flightdeck.localaws.post_import import when_imported

if TYPE_CHECKING:  # imported by moto only after the models this module patches
    from moto.cloudformation.responses import CloudFormationResponse

NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."


class ChangeSetNotFound(CloudFormationError):
    """AWS's ``ChangeSetNotFoundException`` (HTTP 404)."""

    code = "ChangeSetNotFound"


class InvalidChangeSetStatus(CloudFormationError):
    """AWS's ``InvalidChangeSetStatusException`` (HTTP 400)."""

    code = "InvalidChangeSetStatus"


def _live_stack(backend: CloudFormationBackend, name_or_id: str) -> Stack | None:
    if name_or_id in backend.stacks:
        return backend.stacks[name_or_id]
    return next((stack for stack in backend.stacks.values() if stack.name == name_or_id), None)


def find_change_set(backend: CloudFormationBackend, change_set_name: str, stack_name: str | None) -> ChangeSet:
    """A change set by ARN, or by name within the stack named (or identified) by ``stack_name``."""
    if change_set_name.startswith("arn:"):
        change_set = backend.change_sets.get(change_set_name)
    else:
        if not stack_name:
            raise ValidationError(message="StackName must be specified if ChangeSetName is not specified as an ARN.")
        stack = _live_stack(backend, stack_name)
        if stack is None:
            raise ValidationError(stack_name, message=f"Stack [{stack_name}] does not exist")
        change_set = next(
            (
                cs
                for cs in reversed(backend.change_sets.values())
                if cs.change_set_name == change_set_name and cs.stack_id == stack.stack_id
            ),
            None,
        )
    if change_set is None:
        raise ChangeSetNotFound(f"ChangeSet [{change_set_name}] does not exist")
    return change_set


def create_change_set(
    self: CloudFormationBackend,
    *,
    stack_name: str,
    change_set_name: str,
    template: str,
    parameters: dict[str, str],
    description: str,
    change_set_type: str,
    notification_arns: list[str] | None = None,
    tags: dict[str, str] | None = None,
    role_arn: str | None = None,
) -> tuple[str, str]:
    """``CreateChangeSet`` (CREATE or UPDATE), validated like AWS, one name per stack."""
    validate_create_change_set(change_set_name)
    stack = _live_stack(self, stack_name)
    if change_set_type == "UPDATE":
        if stack is None:
            raise ValidationError(stack_name, message=f"Stack [{stack_name}] does not exist")
        check_updatable(stack)
    elif change_set_type == "CREATE":
        if stack is not None and stack.status != "REVIEW_IN_PROGRESS":
            raise ValidationError(
                message=f"Stack [{stack_name}] already exists and cannot be created again with the changeSet "
                f"[{change_set_name}]."
            )
    else:
        raise ValidationError(message=f"ChangeSetType {change_set_type} is not supported by the local emulator")
    if stack is not None and any(
        cs.change_set_name == change_set_name and cs.stack_id == stack.stack_id for cs in self.change_sets.values()
    ):
        raise AlreadyExistsException(f"ChangeSet [{change_set_name}] already exists")
    stack_id = stack.stack_id if stack else generate_stack_id(stack_name, self.region_name, self.account_id)
    validate_template(self, stack_id, stack_name, template, parameters)
    if stack is None:
        stack = register_stack(
            self, stack_id, stack_name, parameters, notification_arns=notification_arns, tags=tags, role_arn=role_arn
        )
        stack.status = "REVIEW_IN_PROGRESS"
        stack_event(stack, "REVIEW_IN_PROGRESS", "User Initiated")
    change_set = ChangeSet(
        change_set_type=change_set_type,
        change_set_id=generate_changeset_id(change_set_name, self.region_name, self.account_id),
        change_set_name=change_set_name,
        stack=stack,
        template=template,
        parameters=parameters,
        description=description,
        notification_arns=notification_arns,
        tags=tags,
        role_arn=role_arn,
    )
    unchanged_tags = not tags or tags == stack.tags
    if (
        change_set_type == "UPDATE"
        and stack.has_template(template)
        and stack.has_parameters(parameters)
        and unchanged_tags
    ):
        change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
        change_set.status_reason = NO_CHANGES
    else:
        change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
    self.change_sets[change_set.change_set_id] = change_set
    return change_set.change_set_id, stack.stack_id


def describe_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> ChangeSet:
    """``DescribeChangeSet`` by ARN, or by name within its stack."""
    return find_change_set(self, change_set_name, stack_name)


def delete_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
    """``DeleteChangeSet`` by ARN, or by name within its stack."""
    change_set = find_change_set(self, change_set_name, stack_name)
    del self.change_sets[change_set.change_set_id]


def list_change_sets(self: CloudFormationBackend, stack_name: str | None = None) -> Iterable[ChangeSet]:
    """``ListChangeSets`` for one stack."""
    if not stack_name:
        return list(self.change_sets.values())
    stack = _live_stack(self, stack_name)
    if stack is None:
        raise ValidationError(stack_name, message=f"Stack [{stack_name}] does not exist")
    return [cs for cs in self.change_sets.values() if cs.stack_id == stack.stack_id]


def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
    """``ExecuteChangeSet``: only an available change set runs; the stack ends complete or rolled back."""
    change_set = find_change_set(self, change_set_name, stack_name)
    if change_set.status != "CREATE_COMPLETE":
        raise InvalidChangeSetStatus(
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current status of [{change_set.status}]"
        )
    if change_set.execution_status != "AVAILABLE":
        raise InvalidChangeSetStatus(
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current execution status of "
            f"[{change_set.execution_status}]"
        )
    stack = self.stacks.get(change_set.stack_id)
    if stack is None:
        raise ValidationError(change_set.stack_name, message=f"Stack [{change_set.stack_name}] does not exist")
    if change_set.change_set_type == "UPDATE":  # made before the stack failed (e.g. UPDATE_ROLLBACK_FAILED)
        check_updatable(stack)
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    succeeded = _execute(self, stack, change_set)
    change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"
    if succeeded:  # AWS deletes the stack's other change sets: they no longer apply to it
        for key in [key for key, cs in self.change_sets.items() if cs.stack_id == stack.stack_id]:
            if key != change_set.change_set_id:
                del self.change_sets[key]


def _execute(backend: CloudFormationBackend, stack: Stack, change_set: ChangeSet) -> bool:
    if change_set.change_set_type == "CREATE":
        stack.tags = dict(change_set.tags or {})
        stack.notification_arns = change_set.notification_arns or []
        stack.role_arn = change_set.role_arn
        return deploy_create(backend, stack, change_set.template, change_set.parameters)
    return deploy_update(
        backend,
        stack,
        change_set.template,
        change_set.parameters,
        tags=change_set.tags or None,
        role_arn=change_set.role_arn,
        revert=getattr(change_set, "drift_reverts", None),  # a REVERT_DRIFT change set (cfn_revert_drift)
    )


def _describe_change_set_response(self: CloudFormationResponse) -> ActionResult:
    """``DescribeChangeSet``."""
    change_set = self.cloudformation_backend.describe_change_set(
        change_set_name=self._get_param("ChangeSetName"), stack_name=self._get_param("StackName")
    )
    return ActionResult(change_set)


def _delete_change_set_response(self: CloudFormationResponse) -> ActionResult:
    """``DeleteChangeSet``."""
    self.cloudformation_backend.delete_change_set(
        change_set_name=self._get_param("ChangeSetName"), stack_name=self._get_param("StackName")
    )
    return EmptyResult()


def _list_change_sets_response(self: CloudFormationResponse) -> ActionResult:
    """``ListChangeSets``."""
    change_sets = self.cloudformation_backend.list_change_sets(stack_name=self._get_param("StackName"))
    return ActionResult({"Summaries": change_sets})


def _patch_responses(module: ModuleType) -> None:
    """Pass ``StackName`` on, so change sets are found within their stack; no-change is a FAILED change set."""
    response_class = module.CloudFormationResponse
    response_class.describe_change_set = _describe_change_set_response
    response_class.delete_change_set = _delete_change_set_response
    response_class.list_change_sets = _list_change_sets_response
    validate_different_update = response_class._validate_different_update

    def _validate_different_update(self: CloudFormationResponse, *args: Any, **kwargs: Any) -> None:
        # UpdateStack refuses "No updates are to be performed."; CreateChangeSet does not refuse: the change
        # set it creates ends FAILED with NO_CHANGES (create_change_set above), as on AWS.
        if self._get_action() != "CreateChangeSet":
            validate_different_update(self, *args, **kwargs)

    response_class._validate_different_update = _validate_different_update


def apply() -> None:
    """Replace moto's change-set operations (looked up by name only, executed without failure handling)."""
    if getattr(CloudFormationBackend.execute_change_set, "_flightdeck", False):
        return
    execute_change_set._flightdeck = True  # type: ignore[attr-defined]
    CloudFormationBackend.create_change_set = create_change_set  # type: ignore[method-assign]
    CloudFormationBackend.describe_change_set = describe_change_set  # type: ignore[method-assign,assignment]
    CloudFormationBackend.delete_change_set = delete_change_set  # type: ignore[method-assign]
    CloudFormationBackend.list_change_sets = list_change_sets  # type: ignore[method-assign]
    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]
    when_imported("moto.cloudformation.responses", _patch_responses)
