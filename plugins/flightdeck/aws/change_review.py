"""What a change set would do, read from CloudFormation: the inputs of a change review and of its fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from flightdeck.aws.cloudformation import describe_change_set_pages
from flightdeck.aws.packaging import canonical_json, parse_template
from flightdeck.aws.session import AccountSession
from flightdeck.aws.stacks import cfn_error, describe_stack
from flightdeck.errors import DeploymentError


@dataclass(frozen=True)
class ChangeSetSnapshot:
    """A change set and the stack it would change, as CloudFormation describes them now.

    Parameter values are as AWS returns them (``****`` for NoEcho ones); callers mask secrets before anything
    leaves the task.

    :param change_set_id: the change set's ARN.
    :param status: ``CREATE_COMPLETE``, ``FAILED``…
    :param execution_status: ``AVAILABLE``, ``EXECUTE_COMPLETE``…
    :param changes: ``DescribeChangeSet``'s ``Changes``, every page.
    :param new_template: the change set's template.
    :param old_template: the deployed stack's template, ``None`` for a new stack.
    :param new_parameters: the change set's parameters.
    :param old_parameters: the deployed stack's parameters.
    :param new_tags: the change set's tags.
    :param old_tags: the deployed stack's tags.
    :param stack_changed_at: when an operation last changed the stack (ISO; empty for a new stack): while it is
        the same, the stack is as reviewed, and the change set (immutable) changes the same.
    """

    change_set_id: str
    status: str
    execution_status: str
    changes: tuple[dict[str, Any], ...]
    new_template: dict[str, Any]
    old_template: dict[str, Any] | None
    new_parameters: dict[str, str] = field(default_factory=dict)
    old_parameters: dict[str, str] = field(default_factory=dict)
    new_tags: dict[str, str] = field(default_factory=dict)
    old_tags: dict[str, str] = field(default_factory=dict)
    stack_changed_at: str = ""

    @property
    def template_sha256(self) -> str:
        """Hash of the change set's template (canonical JSON)."""
        return hashlib.sha256(canonical_json(self.new_template).encode()).hexdigest()


def snapshot_change_set(
    session: AccountSession,
    *,
    stack_name: str,
    change_set_id: str,
    pages: Sequence[Mapping[str, Any]] | None = None,
) -> ChangeSetSnapshot:
    """Read a change set and its stack (``DescribeChangeSet``, ``GetTemplate`` twice, ``DescribeStacks``).

    ``pages``: ``DescribeChangeSet``'s pages read already (``[{}]`` for a change set that does not exist).

    :raises DeploymentError: when the change set does not exist (any more) or cannot be read.
    """
    client = session.client("cloudformation")
    if pages is None:
        pages = describe_change_set_pages(session, stack_name=stack_name, change_set_id=change_set_id)
    if not pages[0]:
        raise DeploymentError(
            f"Change set {change_set_id} does not exist (any more)",
            account=session.account_id,
            region=session.region,
            stack=stack_name,
        )
    described = pages[0]
    try:
        new_body = client.get_template(StackName=stack_name, ChangeSetName=change_set_id)["TemplateBody"]
    except ClientError as err:
        raise cfn_error(session, stack_name, f"Cannot read the template of change set {change_set_id}", err) from err
    stack = describe_stack(session, stack_name)
    deployed = stack is not None and stack.status != "REVIEW_IN_PROGRESS"
    old_template = None
    if deployed:
        try:
            old_template = parse_template(client.get_template(StackName=stack_name)["TemplateBody"])
        except ClientError as err:
            raise cfn_error(session, stack_name, "Cannot read the deployed template", err) from err
    return ChangeSetSnapshot(
        change_set_id=described.get("ChangeSetId", change_set_id),
        status=described.get("Status", ""),
        execution_status=described.get("ExecutionStatus", ""),
        changes=tuple(change for page in pages for change in page.get("Changes", [])),
        new_template=parse_template(new_body),
        old_template=old_template,
        new_parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])},
        old_parameters=stack.parameters if deployed and stack is not None else {},
        new_tags={t["Key"]: t["Value"] for t in described.get("Tags", [])},
        old_tags=stack.tags if deployed and stack is not None else {},
        stack_changed_at=stack.last_changed_at if deployed and stack is not None else "",
    )
