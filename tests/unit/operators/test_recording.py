"""What release tasks write to the release ledger: an attempt per run and target, from start to outcome."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from operator_samples import PROD_LABEL, prod_target

from flightdeck.ledger import Ledger, Outcome
from flightdeck.operators import recording
from flightdeck.plan import TargetCatalog

TARGET = prod_target()
CATALOGS = {"prod": TargetCatalog("prod", [TARGET])}
MARKERS = {"Greeting": "ssm:/flightdeck/hello/greeting@3", "LogLevel": "literal"}


def _context(**params: Any) -> dict[str, Any]:
    return {
        "params": {"version": "2.0.0", **params},
        "run_id": "manual__1",
        "dag": SimpleNamespace(dag_id="release__hello"),
        "dag_run": SimpleNamespace(triggering_user_name="manager"),
        "task": SimpleNamespace(task_id="prod.deploy.execute_change_set", target=TARGET),
        "exception": RuntimeError("the stack said no"),
    }


def test_an_attempt_from_package_to_smoke_test(task_ledger: Ledger) -> None:
    context = _context()
    attempt_id = recording.start_deploy(context, TARGET, "hello", digest="d1", template_hash="t1")
    recording.note_prepared(context, TARGET, "hello", change_set_id="arn:cs/1", digest="d1", parameter_versions=MARKERS)
    recording.record_approval(context, "prod", "approver", [(TARGET.account_id, TARGET.region)])
    recording.finish_deploy(context, TARGET, "hello", Outcome.SUCCEEDED, "3 smoke check(s) passed")

    attempt = task_ledger.attempt(attempt_id)
    assert (attempt.application, attempt.environment, attempt.stack_name) == ("hello", "prod", "hello-prod")
    assert (attempt.version, attempt.dag_id, attempt.run_id) == ("2.0.0", "release__hello", "manual__1")
    assert (attempt.artifact_digest, attempt.template_hash, attempt.change_set_id) == ("d1", "t1", "arn:cs/1")
    assert attempt.parameter_versions == MARKERS
    assert attempt.parameters_hash == recording.parameters_hash(MARKERS)
    assert (attempt.triggered_by, attempt.approved_by) == ("manager", "approver")
    assert (attempt.outcome, attempt.tries, attempt.message) == (Outcome.SUCCEEDED, 1, "3 smoke check(s) passed")
    assert attempt.finished_at is not None
    assert attempt.approved_at is not None


def test_a_dry_run_records_nothing(task_ledger: Ledger) -> None:
    context = _context(dry_run=True)
    assert recording.start_deploy(context, TARGET, "hello", digest="d1") is None
    recording.finish_deploy(context, TARGET, "hello", Outcome.SUCCEEDED)
    recording.record_failure("hello")(context)
    recording.record_run_outcome(context, "hello", CATALOGS, [_wave(not_started=[PROD_LABEL])])
    assert task_ledger.history("hello") == ()


def test_a_final_failure_is_recorded_with_the_tasks_error(task_ledger: Ledger) -> None:
    context = _context()
    attempt_id = recording.start_deploy(context, TARGET, "hello", digest="d1")
    recording.record_failure("hello")(context)
    attempt = task_ledger.attempt(attempt_id)
    assert (attempt.outcome, attempt.message) == (
        Outcome.FAILED,
        "prod.deploy.execute_change_set: the stack said no",
    )


def test_a_failure_before_the_attempt_started_still_gets_one(task_ledger: Ledger) -> None:
    recording.record_failure("hello")(_context())
    [attempt] = task_ledger.history("hello")
    assert attempt.outcome is Outcome.FAILED


def test_a_rollback_is_an_attempt_of_its_own_and_is_not_overwritten_by_the_failure(task_ledger: Ledger) -> None:
    context = _context()
    deploy_id = recording.start_deploy(context, TARGET, "hello", digest="d1")
    recording.record_rollback(context, TARGET, "hello", rolled_back_to="1.0.0", verified=True, message="rolled back")
    recording.record_failure("hello")(context)  # the smoke test then fails: the rollback's story stays

    rollback, deploy = task_ledger.history("hello")
    assert (deploy.id, deploy.outcome) == (deploy_id, Outcome.ROLLED_BACK)
    assert (rollback.kind, rollback.rollback_of, rollback.rolled_back_to_version) == ("rollback", deploy_id, "1.0.0")
    assert (rollback.version, rollback.outcome) == ("2.0.0", Outcome.SUCCEEDED)


def test_a_cleared_task_puts_its_failed_attempt_back_in_progress(task_ledger: Ledger) -> None:
    context = _context()
    attempt_id = recording.start_deploy(context, TARGET, "hello", digest="d1")
    recording.record_failure("hello")(context)
    attempt = recording.current_attempt(context, TARGET, "hello")
    assert attempt is not None
    assert (attempt.id, attempt.outcome, attempt.tries) == (attempt_id, Outcome.IN_PROGRESS, 2)
    assert attempt.artifact_digest == "d1"  # what was learnt before is kept


def _wave(**outcomes: list[str]) -> dict[str, Any]:
    return {"environment": "prod", "wave": "all", "succeeded": [], "failed": [], "not_started": [], **outcomes}


def test_the_end_of_the_run_records_targets_that_never_started(task_ledger: Ledger) -> None:
    recording.record_run_outcome(_context(), "hello", CATALOGS, [_wave(not_started=[PROD_LABEL])])
    [attempt] = task_ledger.history("hello")
    assert (attempt.outcome, attempt.artifact_digest) == (Outcome.NEVER_STARTED, None)
    assert attempt.message.startswith("never started")


@pytest.mark.parametrize("outcome", [Outcome.SUCCEEDED, Outcome.ROLLED_BACK])
def test_the_end_of_the_run_keeps_what_the_tasks_recorded(task_ledger: Ledger, outcome: Outcome) -> None:
    context = _context()
    recording.start_deploy(context, TARGET, "hello", digest="d1")
    recording.finish_deploy(context, TARGET, "hello", outcome, "told by the task")
    recording.record_run_outcome(context, "hello", CATALOGS, [_wave(failed=[PROD_LABEL])])
    [attempt] = task_ledger.history("hello")
    assert (attempt.outcome, attempt.message) == (outcome, "told by the task")


def test_the_end_of_the_run_closes_an_attempt_left_in_progress(task_ledger: Ledger) -> None:
    context = _context()
    recording.start_deploy(context, TARGET, "hello", digest="d1")  # e.g. its gate was rejected
    recording.record_run_outcome(context, "hello", CATALOGS, [_wave(failed=[PROD_LABEL])])
    [attempt] = task_ledger.history("hello")
    assert attempt.outcome is Outcome.FAILED
