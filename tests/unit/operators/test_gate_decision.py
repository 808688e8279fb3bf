"""Who must answer a gate: nobody when the rules allow, an approver for a flagged change, never the triggerer."""

from __future__ import annotations

import pytest

from flightdeck.changes import ChangeSummary, Flag, FlagKind, ResourceChange
from flightdeck.errors import FlightdeckError
from flightdeck.operators.approval import who_must_approve
from flightdeck.plan import Approval

EMPTY = ChangeSummary()
BENIGN = ChangeSummary(resources=(ResourceChange("Modify", "Fn", "AWS::Lambda::Function", "False"),))
ADDS = ChangeSummary(resources=(ResourceChange("Add", "Queue", "AWS::SQS::Queue", ""),))
FLAGGED = ChangeSummary(
    resources=(ResourceChange("Add", "Role", "AWS::IAM::Role", ""),),
    flags=(Flag(FlagKind.IAM_BROADENED, "Role", "AWS::IAM::Role", "`Role` (AWS::IAM::Role): new role."),),
)
TEAM = ("approver", "release-manager")


def _rules(required: bool, auto_approve: str = "empty", approvers: tuple[str, ...] = TEAM) -> Approval:
    return Approval(required=required, approvers=approvers, timeout_seconds=None, auto_approve=auto_approve)


@pytest.mark.parametrize(
    ("rules", "summaries", "asked"),
    [
        (_rules(False), [ADDS, BENIGN], []),  # not required, nothing flagged: passes by itself
        (_rules(False, approvers=()), [ADDS], []),
        (_rules(False), [BENIGN, FLAGGED], ["approver"]),  # flagged: a person even where not required
        (_rules(True), [EMPTY, EMPTY], []),  # auto_approve: empty (default)
        (_rules(True), [EMPTY, BENIGN], ["approver"]),
        (_rules(True, "benign"), [EMPTY, BENIGN], []),
        (_rules(True, "benign"), [BENIGN, ADDS], ["approver"]),  # an addition is not benign
        (_rules(True, "benign"), [FLAGGED], ["approver"]),
        (_rules(True, "never"), [EMPTY], ["approver"]),
    ],
)
def test_who_must_answer(rules: Approval, summaries: list[ChangeSummary], asked: list[str]) -> None:
    # release-manager triggered the run, so only approver is ever asked.
    assert who_must_approve(rules, summaries, "release-manager", scope="dev") == asked


def test_flagged_change_without_approvers_stops_the_release() -> None:
    with pytest.raises(FlightdeckError) as info:
        who_must_approve(_rules(False, approvers=()), [FLAGGED], "release-manager", scope="dev/111111111111/eu-west-1")
    assert str(info.value).startswith(
        "dev/111111111111/eu-west-1 has changes that always need a person (a stateful resource replaced or removed, "
        "or IAM or network access widened: see the log), but its environment names no approvers"
    )


def test_the_triggering_user_never_approves_their_own_release() -> None:
    with pytest.raises(FlightdeckError, match=r"the only approver \(approver\) triggered this run"):
        who_must_approve(_rules(True, approvers=("approver",)), [BENIGN], "approver", scope="prod")
