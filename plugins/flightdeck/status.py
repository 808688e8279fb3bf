"""The ledger reconciled with AWS: what each target should run according to the ledger, against its live stack.

Pure: :func:`expected_release` reads a target's ledger history, :func:`differences` compares it with the stack's
state and tags (``flightdeck:version``, ``flightdeck:run-id``); ``flightdeck status`` feeds both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flightdeck import naming
from flightdeck.aws.stacks import StackState, classify_status
from flightdeck.ledger import Attempt, AttemptKind, Outcome

# Stable statuses that still need someone: stuck, or a stack whose creation failed (it holds nothing). An
# update rolled back by CloudFormation (UPDATE_ROLLBACK_COMPLETE) runs the previous release: that is no problem.
_UNHEALTHY = frozenset(
    {
        "CREATE_FAILED",
        "ROLLBACK_COMPLETE",
        "ROLLBACK_FAILED",
        "UPDATE_ROLLBACK_FAILED",
        "DELETE_FAILED",
        "DELETE_COMPLETE",
        "IMPORT_ROLLBACK_FAILED",
    }
)


@dataclass(frozen=True)
class ExpectedRelease:
    """What the ledger says a target runs: its newest attempt that changed the stack and succeeded.

    :param version: the version the stack should run.
    :param run_ids: the runs whose success put that version there (the stack's run-id tag names the first).
    :param newest: the target's newest attempt, whatever its outcome (a failure after the success shows here).
    """

    version: str
    run_ids: frozenset[str]
    newest: Attempt


@dataclass(frozen=True)
class TargetStatus:
    """One target's ledger record next to its live stack.

    :param problems: each difference, in words; empty when the two agree.
    """

    application: str
    environment: str
    account_id: str
    region: str
    stack_name: str
    expected: ExpectedRelease | None
    stack: StackState | None
    problems: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return naming.target_label(self.environment, self.account_id, self.region)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (``flightdeck status --json``)."""
        return {
            "application": self.application,
            "environment": self.environment,
            "account_id": self.account_id,
            "region": self.region,
            "stack_name": self.stack_name,
            "ledger_version": self.expected.version if self.expected else None,
            "ledger_newest_outcome": self.expected.newest.outcome.value if self.expected else None,
            "stack_status": self.stack.status if self.stack else None,
            "stack_version": self.stack.tags.get(naming.VERSION_TAG) if self.stack else None,
            "stack_run_id": self.stack.tags.get(naming.RUN_ID_TAG) if self.stack else None,
            "in_sync": not self.problems,
            "problems": list(self.problems),
        }


def expected_release(history: Sequence[Attempt]) -> ExpectedRelease | None:
    """From a target's attempts (newest first), the release its stack should run; None if none succeeded."""
    if not history:
        return None
    for attempt in history:
        if attempt.outcome is not Outcome.SUCCEEDED:
            continue
        version = attempt.rolled_back_to_version if attempt.kind is AttemptKind.ROLLBACK else attempt.version
        if version is None:
            continue
        runs = {
            a.run_id
            for a in history
            if a.outcome is Outcome.SUCCEEDED and a.kind is not AttemptKind.ROLLBACK and a.version == version
        }
        return ExpectedRelease(version=version, run_ids=frozenset(runs), newest=history[0])
    return None


def differences(expected: ExpectedRelease | None, stack: StackState | None) -> tuple[str, ...]:
    """How the live stack differs from what the ledger says; empty when they agree."""
    if expected is None:
        if stack is None:
            return ()
        version = stack.tags.get(naming.VERSION_TAG)
        return (f"the stack runs {version or 'an untagged version'} but the ledger records no successful deployment",)
    if stack is None:
        return (f"the ledger says {expected.version} is deployed, but there is no stack",)
    problems = []
    if stack.status in _UNHEALTHY or classify_status(stack.status) == "in_progress":
        problems.append(f"the stack is {stack.status}")
    live = stack.tags.get(naming.VERSION_TAG)
    if live is None:
        problems.append("the stack has no flightdeck:version tag: it was changed outside Flightdeck")
    elif live != expected.version:
        problems.append(f"the stack runs {live}, the ledger's last successful deployment is {expected.version}")
    run_id = stack.tags.get(naming.RUN_ID_TAG)
    if live == expected.version and expected.run_ids and run_id not in expected.run_ids:
        problems.append(f"the stack was deployed by run {run_id}, which the ledger does not record as a success")
    newest = expected.newest
    if newest.outcome is not Outcome.SUCCEEDED and problems:
        problems.append(f"the newest attempt ({newest.version}, run {newest.run_id}) ended {newest.outcome.value}")
    return tuple(problems)
