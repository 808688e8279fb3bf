"""The promotion rule: a version deploys to an environment only after it succeeded in the previous one."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from operator_samples import prod_target

from flightdeck.ledger import Ledger, Outcome
from flightdeck.operators.promotion import PromotionRefused, check_promotion, why_not_promoted
from flightdeck.plan import Approval, EnvironmentPlan, Target, WavePlan

STAGING = [
    Target(**{**prod_target().__dict__, "environment": "staging", "account_id": account, "stack_name": "hello-staging"})
    for account in ("222222222222", "444444444444", "555555555555")
]
LABELS = tuple(target.label for target in STAGING)
PREVIOUS = EnvironmentPlan(
    name="staging",
    approval=Approval(required=False, approvers=(), timeout_seconds=None),
    targets=tuple(STAGING),
    waves=(WavePlan("first", LABELS[:1]), WavePlan("rest", LABELS[1:], failure_tolerance_count=1)),
)


def _run(ledger: Ledger, run_id: str, outcomes: list[Outcome], digest: str = "d1", version: str = "2.0.0") -> None:
    """A run of ``version`` in staging: one attempt per target, in order, ending as ``outcomes`` say."""
    for target, outcome in zip(STAGING, outcomes, strict=False):
        attempt = ledger.start_attempt(
            application="hello",
            environment="staging",
            account_id=target.account_id,
            region=target.region,
            stack_name=target.stack_name,
            version=version,
            dag_id="release__hello",
            run_id=run_id,
            artifact_digest=digest,
        )
        if outcome is not Outcome.IN_PROGRESS:
            ledger.finish_attempt(attempt, outcome)


def _why(ledger: Ledger, digest: str = "d1") -> str | None:
    return why_not_promoted(ledger.release_attempts("hello", "staging", "2.0.0"), PREVIOUS, digest)


S, F, N, P = Outcome.SUCCEEDED, Outcome.FAILED, Outcome.NEVER_STARTED, Outcome.IN_PROGRESS


def test_a_version_that_succeeded_on_every_target_is_promoted(task_ledger: Ledger) -> None:
    _run(task_ledger, "manual__1", [S, S, S])
    assert _why(task_ledger) is None


def test_a_failure_within_its_waves_tolerance_still_promotes(task_ledger: Ledger) -> None:
    _run(task_ledger, "manual__1", [S, Outcome.ROLLED_BACK, S])
    assert _why(task_ledger) is None


@pytest.mark.parametrize(
    ("outcomes", "reason"),
    [
        ([], "no run has deployed it there"),
        ([F, S, S], "run manual__1: wave first: 1 target(s) failed, 0 tolerated"),
        ([S, F, F], "run manual__1: wave rest: 2 target(s) failed, 1 tolerated"),
        ([S, S, N], "run manual__1: 1 target(s) never started"),
        ([S, S, P], "run manual__1: 1 target(s) still in progress"),
        ([F, F, F], "run manual__1: no target succeeded"),
    ],
)
def test_a_run_that_did_not_pass_the_environment_is_no_evidence(
    task_ledger: Ledger, outcomes: list[Outcome], reason: str
) -> None:
    _run(task_ledger, "manual__1", outcomes)
    assert _why(task_ledger) == reason


def test_the_artifact_must_be_the_one_that_succeeded(task_ledger: Ledger) -> None:
    _run(task_ledger, "manual__1", [S, S, S], digest="a" * 64)
    assert (
        _why(task_ledger, digest="b" * 64)
        == f"run manual__1: it deployed another artifact ({'a' * 12}, not {'b' * 12})"
    )


def test_one_passing_run_is_enough_and_the_newest_failure_is_named_otherwise(task_ledger: Ledger) -> None:
    _run(task_ledger, "manual__1", [F, S, S])
    _run(task_ledger, "manual__2", [S, S, N])
    assert _why(task_ledger) == "run manual__2: 1 target(s) never started"
    _run(task_ledger, "manual__3", [S, S, S])
    assert _why(task_ledger) is None


def _context(**params: Any) -> dict[str, Any]:
    return {
        "params": {"version": "2.0.0", **params},
        "run_id": "manual__9",
        "dag": SimpleNamespace(dag_id="release__hello"),
        "dag_run": SimpleNamespace(triggering_user_name="manager"),
    }


def test_prod_is_refused_before_staging_succeeded_saying_what_to_do(task_ledger: Ledger) -> None:
    _run(task_ledger, "manual__1", [S, F, F])
    with pytest.raises(PromotionRefused) as info:
        check_promotion(_context(), prod_target(), "hello", PREVIOUS, "d1")
    message = str(info.value)
    assert message.startswith(
        "prod/333333333333/eu-west-1: 2.0.0 (artifact d1) has not succeeded in staging, the environment before prod "
        "(run manual__1: wave rest: 2 target(s) failed, 1 tolerated). Nothing was changed here."
    )
    assert "promotion_override" in message
    assert task_ledger.overrides("hello") == ()


def test_an_override_lets_it_through_and_is_recorded_once_per_run(task_ledger: Ledger) -> None:
    context = _context(promotion_override="hotfix INC-42, staging is down")
    check_promotion(context, prod_target(), "hello", PREVIOUS, "d1")
    check_promotion(context, prod_target(), "hello", PREVIOUS, "d1")  # another target of the same run
    [override] = task_ledger.overrides("hello")
    assert (override.environment, override.version, override.artifact_digest) == ("prod", "2.0.0", "d1")
    assert (override.run_id, override.overridden_by) == ("manual__9", "manager")
    assert override.reason == "hotfix INC-42, staging is down"


@pytest.mark.parametrize(("params", "previous"), [({}, None), ({"dry_run": True}, PREVIOUS)])
def test_the_first_environment_and_a_dry_run_have_no_rule(
    task_ledger: Ledger, params: dict[str, Any], previous: EnvironmentPlan | None
) -> None:
    check_promotion(_context(**params), prod_target(), "hello", previous, "d1")
    assert task_ledger.overrides("hello") == ()
