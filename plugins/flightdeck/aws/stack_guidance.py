"""What an operator should do about a stack that failed or is stuck, by its CloudFormation status."""

from __future__ import annotations

from flightdeck import naming

# Templates take {stack}, {account}, {region}, {status} and the phrases below, filled with the same fields.
_PHRASES = {
    "admin": "With an admin role in account {account}, region {region}",
    "clear": f"clear the `{naming.PREPARE_GROUP}` group of target `<environment>/{{account}}/{{region}}` in Airflow",
    "delete": "`aws cloudformation delete-stack --stack-name {stack} --region {region}`",
    "rollback": "`aws cloudformation rollback-stack --stack-name {stack} --region {region}`",
}
_IN_PROGRESS = (
    "An operation ({status}) is running on stack {stack} in account {account}, region {region}: wait for it to end, "
    "then {clear}. Flightdeck runs one release per application at a time, so someone else started it: a person, "
    "another application deploying this stack, or an earlier run whose task ended before its stack operation did."
)
_HEALTHY = ""

_GUIDANCE: dict[str, str] = {
    "CREATE_COMPLETE": _HEALTHY,
    "UPDATE_COMPLETE": _HEALTHY,
    "IMPORT_COMPLETE": _HEALTHY,
    "CREATE_IN_PROGRESS": _IN_PROGRESS,
    "UPDATE_IN_PROGRESS": _IN_PROGRESS,
    "ROLLBACK_IN_PROGRESS": _IN_PROGRESS,
    "UPDATE_ROLLBACK_IN_PROGRESS": _IN_PROGRESS,
    "IMPORT_IN_PROGRESS": _IN_PROGRESS,
    "IMPORT_ROLLBACK_IN_PROGRESS": _IN_PROGRESS,
    "DELETE_IN_PROGRESS": (
        "Stack {stack} is being deleted in account {account}, region {region}: wait until it is gone, then {clear} "
        "to create it again."
    ),
    "DELETE_COMPLETE": "Stack {stack} was deleted: the next release creates it again.",
    "REVIEW_IN_PROGRESS": (
        "Stack {stack} was never created: it only holds change sets nobody executed (account {account}, region "
        "{region}). Flightdeck creates its own change set on it; to drop the others, delete them, or the stack: "
        "{delete}."
    ),
    "CREATE_FAILED": (
        "Creating stack {stack} failed with rollback disabled, so what it created is kept. {admin}, roll it back "
        "with {rollback} (or delete it), fix the cause named above, then {clear}."
    ),
    "UPDATE_FAILED": (
        "Updating stack {stack} failed with rollback disabled: it is half updated. Fix the cause named above and "
        "release again, or go back to the previous version: {admin}, run {rollback}."
    ),
    "ROLLBACK_COMPLETE": (
        "Creating stack {stack} failed and was rolled back: nothing of it runs, and it cannot be updated, only "
        "deleted. Fix the cause named above and release again (or {clear}): Flightdeck deletes a ROLLBACK_COMPLETE "
        "stack itself before creating it again."
    ),
    "ROLLBACK_FAILED": (
        "Creating stack {stack} failed and so did removing what it had created: the stack can only be deleted. "
        "{admin}, delete by hand the resources named above, run {delete}, then {clear} to create it again."
    ),
    "DELETE_FAILED": (
        "Deleting stack {stack} failed: it can only be deleted again. {admin}, remove what keeps the resources named "
        "above from being deleted (a bucket that is not empty, a resource still in use), run {delete} "
        "(`--retain-resources <LogicalId>` keeps what must stay), then {clear}."
    ),
    "UPDATE_ROLLBACK_COMPLETE": (
        "The update of stack {stack} failed and was rolled back: the previous version still runs. Fix the cause "
        "named above and release again."
    ),
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": (
        "The update of stack {stack} failed and was rolled back; CloudFormation is removing what the update created "
        "(account {account}, region {region}). Wait for UPDATE_ROLLBACK_COMPLETE (minutes, usually), then fix the "
        "cause named above and release again."
    ),
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": (
        "Stack {stack} was updated; CloudFormation is removing the resources the update replaced (account "
        "{account}, region {region}). Wait for UPDATE_COMPLETE (minutes, usually), then {clear}."
    ),
    "UPDATE_ROLLBACK_FAILED": (
        "The update of stack {stack} failed and so did its rollback: CloudFormation refuses every change to the "
        "stack until the rollback completes. {admin}, fix what made the resources named above fail to roll back "
        "(often something changed or deleted outside CloudFormation), then run `aws cloudformation "
        "continue-update-rollback --stack-name {stack} --region {region}`; add `--resources-to-skip <LogicalId> ...` "
        "for a resource that cannot be fixed (CloudFormation then counts it as rolled back: check it by hand). Once "
        "the stack is UPDATE_ROLLBACK_COMPLETE, {clear}."
    ),
    "IMPORT_ROLLBACK_COMPLETE": (
        "A resource import into stack {stack} failed and was rolled back: the stack is as it was before. Fix the "
        "import (the resources named above) before importing again; releases can update the stack."
    ),
    "IMPORT_ROLLBACK_FAILED": (
        "A resource import into stack {stack} failed and so did its rollback: CloudFormation refuses every change to "
        "the stack until it is repaired. {admin}, fix the resources named above (they may be half imported), retry "
        "the rollback from the stack's actions in the CloudFormation console (or ask AWS Support), then {clear}."
    ),
}


def guidance(status: str, stack_name: str, account: str, region: str) -> str:
    """What to do about a stack in ``status``; ``""`` for a healthy stack or a status this module does not know.

    An unknown ``*_IN_PROGRESS`` status gets the advice of any running operation: wait.
    """
    template = _GUIDANCE.get(status)
    if template is None:
        template = _IN_PROGRESS if status.endswith("_IN_PROGRESS") else ""
    fields = {"stack": stack_name, "account": account, "region": region, "status": status}
    return template.format(**fields, **{name: phrase.format(**fields) for name, phrase in _PHRASES.items()})
