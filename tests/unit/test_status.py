"""The ledger reconciled with a live stack: what the ledger expects, and each difference in words."""

from __future__ import annotations

from datetime import UTC, datetime

from flightdeck.aws.stacks import StackState
from flightdeck.ledger import Attempt, AttemptKind, Outcome
from flightdeck.status import differences, expected_release

T0 = datetime(2026, 11, 28, tzinfo=UTC)


def _attempt(version: str, run_id: str, outcome: Outcome, kind: AttemptKind = AttemptKind.DEPLOY, **more) -> Attempt:
    return Attempt(
        id=len(run_id),
        application="hello",
        environment="dev",
        account_id="111111111111",
        region="eu-west-1",
        stack_name="hello-dev",
        kind=kind,
        version=version,
        dag_id="release__hello",
        run_id=run_id,
        outcome=outcome,
        started_at=T0,
        **more,
    )


def _stack(version: str | None, run_id: str = "manual__1", status: str = "UPDATE_COMPLETE") -> StackState:
    tags = {"flightdeck:version": version, "flightdeck:run-id": run_id} if version else {}
    return StackState(name="hello-dev", stack_id="id", status=status, reason="", tags=tags)


def test_the_newest_success_is_expected_and_a_later_failure_is_remembered() -> None:
    history = [_attempt("2.0.0", "manual__2", Outcome.FAILED), _attempt("1.0.0", "manual__1", Outcome.SUCCEEDED)]
    expected = expected_release(history)
    assert expected is not None
    assert (expected.version, expected.run_ids, expected.newest.version) == ("1.0.0", {"manual__1"}, "2.0.0")
    assert differences(expected, _stack("1.0.0")) == ()
    assert differences(expected, _stack("2.0.0")) == (
        "the stack runs 2.0.0, the ledger's last successful deployment is 1.0.0",
        "the newest attempt (2.0.0, run manual__2) ended failed",
    )


def test_a_successful_rollback_expects_the_version_it_went_back_to() -> None:
    history = [
        _attempt(
            "2.0.0", "manual__2", Outcome.SUCCEEDED, AttemptKind.ROLLBACK, rollback_of=2, rolled_back_to_version="1.0.0"
        ),
        _attempt("2.0.0", "manual__2", Outcome.ROLLED_BACK),
        _attempt("1.0.0", "manual__1", Outcome.SUCCEEDED),
    ]
    expected = expected_release(history)
    assert expected is not None
    assert expected.version == "1.0.0"
    assert differences(expected, _stack("1.0.0")) == ()


def test_nothing_succeeded_and_no_stack_agree() -> None:
    assert expected_release([_attempt("1.0.0", "manual__1", Outcome.FAILED)]) is None
    assert differences(None, None) == ()
    assert differences(None, _stack("1.0.0")) == (
        "the stack runs 1.0.0 but the ledger records no successful deployment",
    )


def test_stuck_busy_and_untagged_stacks_are_differences_but_a_cloudformation_rollback_is_not() -> None:
    expected = expected_release([_attempt("1.0.0", "manual__1", Outcome.SUCCEEDED)])
    assert differences(expected, _stack("1.0.0", status="UPDATE_ROLLBACK_COMPLETE")) == ()
    assert differences(expected, _stack("1.0.0", status="UPDATE_ROLLBACK_FAILED")) == (
        "the stack is UPDATE_ROLLBACK_FAILED",
    )
    assert differences(expected, _stack("1.0.0", status="UPDATE_IN_PROGRESS")) == ("the stack is UPDATE_IN_PROGRESS",)
    assert differences(expected, _stack(None)) == (
        "the stack has no flightdeck:version tag: it was changed outside Flightdeck",
    )
