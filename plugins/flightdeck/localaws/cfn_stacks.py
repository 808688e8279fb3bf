"""``create_stack``/``update_stack``/``delete_stack`` through the deployment transaction, and honest Parameters."""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import AlreadyExistsException, ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import ResourceMap
from moto.cloudformation.utils import generate_stack_id
from moto.core.exceptions import ServiceException

from flightdeck.localaws.cfn_deploy import deploy_create, deploy_update
from flightdeck.localaws.cfn_exports import withdraw_exports
from flightdeck.localaws.cfn_failures import error_text, stack_event

# Statuses from which AWS accepts an update (anything else is in progress, failed for good, or never created).
UPDATABLE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}


def validate_template(
    backend: CloudFormationBackend, stack_id: str, stack_name: str, template: Any, parameters: dict[str, Any]
) -> dict[str, Any]:
    """Check a template and its parameters as AWS does before accepting a change (raises ``ValidationError``)."""
    try:
        template_dict = Stack.parse_template(template) if isinstance(template, str) else template
    except Exception as err:
        raise ValidationError(message=f"Template format error: {error_text(err)}") from err
    if not isinstance(template_dict, dict):
        raise ValidationError(message="Template format error: the template is not a JSON or YAML object")
    declared = template_dict.get("Parameters") or {}
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ValidationError(message=f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    if "Outputs" in template_dict and template_dict["Outputs"] is None:
        raise ValidationError(message="[/Outputs] 'null' values are not allowed in templates")
    try:
        ResourceMap(
            stack_id,
            stack_name,
            parameters,
            {},
            region_name=backend.region_name,
            account_id=backend.account_id,
            template=template_dict,
            cross_stack_resources=backend.exports,
        ).load()
    except ServiceException:
        raise
    except Exception as err:
        raise ValidationError(message=f"Template format error: {error_text(err)}") from err
    return template_dict


def register_stack(
    backend: CloudFormationBackend, stack_id: str, name: str, parameters: dict[str, Any], **options: Any
) -> Stack:
    """A new stack with no resources yet, known to the backend (``options``: moto's other Stack arguments)."""
    stack = Stack(
        stack_id=stack_id,
        name=name,
        template={},
        parameters=parameters,
        account_id=backend.account_id,
        region_name=backend.region_name,
        cross_stack_resources=backend.exports,
        **options,
    )
    backend.stacks[stack_id] = stack
    return stack


def check_updatable(stack: Stack) -> None:
    """Raise the ``ValidationError`` AWS gives when a stack cannot be updated in its current status."""
    if stack.status not in UPDATABLE:
        raise ValidationError(message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")


def create_stack(
    self: CloudFormationBackend,
    *,
    name: str,
    template: str,
    parameters: dict[str, Any],
    notification_arns: list[str] | None = None,
    tags: dict[str, str] | None = None,
    role_arn: str | None = None,
    enable_termination_protection: bool | None = False,
    timeout_in_mins: int | None = None,
    stack_policy_body: str | None = None,
) -> Stack:
    """``CreateStack``: validated synchronously, then deployed with the failure model."""
    if any(stack.name == name for stack in self.stacks.values()):
        raise AlreadyExistsException(f"Stack [{name}] already exists")
    stack_id = generate_stack_id(name, self.region_name, self.account_id)
    validate_template(self, stack_id, name, template, parameters)
    stack = register_stack(
        self,
        stack_id,
        name,
        parameters,
        notification_arns=notification_arns,
        tags=tags,
        role_arn=role_arn,
        enable_termination_protection=enable_termination_protection,
        timeout_in_mins=timeout_in_mins,
        stack_policy_body=stack_policy_body,
    )
    deploy_create(self, stack, template, parameters)
    return stack


def update_stack(
    self: CloudFormationBackend,
    *,
    name: str,
    template: str,
    role_arn: str | None,
    parameters: list[dict[str, Any]],
    tags: dict[str, str] | None,
) -> Stack:
    """``UpdateStack``: validated synchronously, then deployed with the failure model."""
    stack = self.get_stack(name)
    check_updatable(stack)
    resolved = self._resolve_update_parameters(instance=stack, incoming_params=parameters)
    validate_template(self, stack.stack_id, stack.name, template, resolved or stack.parameters)
    if stack.has_template(template) and (not resolved or resolved == stack.parameters) and tags in (None, stack.tags):
        raise ValidationError(stack.name, message="No updates are to be performed.")
    deploy_update(self, stack, template, resolved, tags=tags, role_arn=role_arn)
    return stack


def delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
    """``DeleteStack``: also withdraws exports and change sets; a resource error gives ``DELETE_FAILED``."""
    stack = self.stacks.get(name_or_stack_id) or next(
        (stack for stack in self.stacks.values() if stack.name == name_or_stack_id), None
    )
    if stack is None:
        return  # AWS: deleting a stack that does not exist succeeds
    withdraw_exports(self, stack)
    for change_set_id in [key for key, cs in self.change_sets.items() if cs.stack_id == stack.stack_id]:
        del self.change_sets[change_set_id]
    try:
        stack.delete()
    except Exception as err:
        stack.status = "DELETE_FAILED"
        stack.status_reason = error_text(err)
        stack_event(stack, "DELETE_FAILED", stack.status_reason)
        return
    stack.status_reason = None
    self.stacks.pop(stack.stack_id, None)
    self.deleted_stacks[stack.stack_id] = stack


def _parameter_list(self: Stack) -> list[dict[str, Any]]:
    """Parameters as AWS shows them: NoEcho masked by key, lists joined, SSM-typed ones with ResolvedValue."""
    template = self.template_dict if isinstance(self.template_dict, dict) else {}
    declared = template.get("Parameters") or {}
    inputs = self.resource_map.input_parameters or {}
    result = []
    for key, value in self.resource_map.resolved_parameters.items():
        spec = declared.get(key) or {}
        entry: dict[str, Any] = {"ParameterKey": key, "ParameterValue": _as_text(value)}
        if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
            entry["ParameterValue"] = _as_text(inputs.get(key, spec.get("Default")))
            entry["ResolvedValue"] = _as_text(value)
        if spec.get("NoEcho") and str(spec["NoEcho"]).lower() == "true":
            entry["ParameterValue"] = "****"
            entry.pop("ResolvedValue", None)
        result.append(entry)
    return result


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return "" if value is None else str(value)


def apply() -> None:
    """Route stack deployments through the transaction; fix ``Parameters`` in ``DescribeStacks``."""
    if getattr(CloudFormationBackend.create_stack, "_flightdeck", False):
        return
    create_stack._flightdeck = True  # type: ignore[attr-defined]
    CloudFormationBackend.create_stack = create_stack  # type: ignore[method-assign,assignment]
    CloudFormationBackend.update_stack = update_stack  # type: ignore[method-assign]
    CloudFormationBackend.delete_stack = delete_stack  # type: ignore[method-assign]
    Stack.parameter_list = property(_parameter_list)  # type: ignore[assignment,method-assign]
