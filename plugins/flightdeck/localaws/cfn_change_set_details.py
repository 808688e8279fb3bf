"""Change sets as AWS details them: ``GetTemplate`` of a change set (gap K) and the ``Tags`` of ``DescribeChangeSet``.

moto answers ``GetTemplate`` with the stack's template whatever ``ChangeSetName`` says, and leaves ``Tags`` out
of ``DescribeChangeSet`` (it keeps them as a dict the response serialiser cannot use).
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

from moto.cloudformation.models import ChangeSet
from moto.core.responses import ActionResult

from flightdeck.localaws.cfn_change_sets import find_change_set
from flightdeck.localaws.post_import import when_imported

if TYPE_CHECKING:  # imported by moto only after the models this module patches
    from moto.cloudformation.responses import CloudFormationResponse


def _get_template_response(self: CloudFormationResponse) -> ActionResult:
    stack_name = self._get_param("StackName")
    change_set_name = self._get_param("ChangeSetName")
    if change_set_name:
        template = find_change_set(self.cloudformation_backend, change_set_name, stack_name).template
    else:
        template = self.cloudformation_backend.get_template(stack_name)
    return ActionResult({"TemplateBody": template})


def _patch_responses(module: ModuleType) -> None:
    module.CloudFormationResponse.get_template = _get_template_response


def _tags(self: ChangeSet) -> list[dict[str, Any]]:
    """The change set's tags as ``DescribeChangeSet`` lists them."""
    return [{"Key": key, "Value": value} for key, value in (self.tags or {}).items()]


def apply() -> None:
    """Answer ``GetTemplate`` for a change set with its own template; describe change sets with their tags."""
    ChangeSet.Tags = property(_tags)  # type: ignore[attr-defined]
    when_imported("moto.cloudformation.responses", _patch_responses)
