"""Take back a change set that will not be executed (rejected, timed out, dry run), leaving no trace."""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from flightdeck.aws.cloudformation import delete_change_set
from flightdeck.aws.session import AccountSession
from flightdeck.aws.stacks import cfn_error, describe_stack, is_missing

log = logging.getLogger(__name__)


def discard_change_set(session: AccountSession, *, stack_name: str, change_set_id: str) -> None:
    """Delete the change set; if it was to create the stack, also the empty stack CloudFormation made for it.

    A CREATE change set leaves its stack in ``REVIEW_IN_PROGRESS`` (no resources) once deleted; that stack goes
    too unless another change set waits on it. Calls ``DeleteChangeSet``, ``DescribeStacks``,
    ``ListChangeSets`` and ``DeleteStack`` (only a ``REVIEW_IN_PROGRESS`` stack).
    """
    delete_change_set(session, stack_name=stack_name, change_set_id=change_set_id)
    stack = describe_stack(session, stack_name)
    if stack is None or stack.status != "REVIEW_IN_PROGRESS":
        return
    client = session.client("cloudformation")
    try:
        others = client.list_change_sets(StackName=stack.stack_id).get("Summaries", [])
        waiting = [
            summary
            for summary in others
            if summary.get("StackName", stack_name) == stack_name and summary.get("ChangeSetId") != change_set_id
        ]
        if waiting:
            return
        client.delete_stack(StackName=stack.stack_id)
    except ClientError as err:
        if is_missing(err):
            return
        raise cfn_error(session, stack_name, "Cannot delete the empty stack of a discarded change set", err) from err
    log.info("Deleted stack %s, which only a discarded change set had created", stack_name)
