"""The release ledger's repository contract, run on SQLite (unit tests) and PostgreSQL (integration tests).

A backend's test module subclasses :class:`LedgerContract` with a ``ledger`` fixture: an empty, migrated ledger.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import exc, insert

from flightdeck.ledger import Attempt, AttemptKind, Ledger, LedgerError, Outcome
from flightdeck.ledger.records import MESSAGE_MAX
from flightdeck.ledger.schema import deployments

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DEV, PROD = "111111111111", "333333333333"
TOKEN_MARKER = "secretsmanager:flightdeck/hello/api-token@3f1c0de5-7a9b-4c6e-9d2a-0b1e2f3a4b5c"
FINAL_OUTCOMES = [outcome for outcome in Outcome if outcome is not Outcome.IN_PROGRESS]


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def target(**changes: Any) -> dict[str, Any]:
    """The arguments of start_attempt for hello 1.0.0 in dev/111111111111/eu-west-1, with ``changes``."""
    arguments: dict[str, Any] = {
        "application": "hello",
        "environment": "dev",
        "account_id": DEV,
        "region": "eu-west-1",
        "stack_name": "hello-dev",
        "version": "1.0.0",
        "dag_id": "release__hello",
        "run_id": "manual__1",
    }
    return {**arguments, **changes}


def deploy(ledger: Ledger, outcome: Outcome, *, minute: int = 0, digest: str = "d1", **changes: Any) -> int:
    """A finished deploy attempt (digest ``d1`` unless told), started ``minute`` after T0, finished a minute later."""
    attempt_id = ledger.start_attempt(**target(**changes), artifact_digest=digest, started_at=at(minute))
    if outcome is not Outcome.IN_PROGRESS:
        ledger.finish_attempt(attempt_id, outcome, finished_at=at(minute + 1))
    return attempt_id


def ids(attempts: tuple[Attempt, ...]) -> list[int]:
    return [attempt.id for attempt in attempts]


class LedgerContract:
    """What every backend of the ledger must do, whatever the database."""

    # Starting and finishing attempts

    def test_start_attempt_records_an_attempt_in_progress(self, ledger: Ledger) -> None:
        attempt_id = ledger.start_attempt(
            **target(),
            triggered_by="ann",
            artifact_digest="sha-package",
            template_hash="sha-template",
            parameters_hash="sha-parameters",
            parameter_versions={"Token": TOKEN_MARKER, "Greeting": "ssm:/flightdeck/hello/greeting@3"},
            change_set_id="arn:aws:cloudformation:eu-west-1:111111111111:changeSet/flightdeck-1/abc",
            started_at=at(0),
        )

        attempt = ledger.attempt(attempt_id)
        assert attempt == Attempt(
            id=attempt_id,
            application="hello",
            environment="dev",
            account_id=DEV,
            region="eu-west-1",
            stack_name="hello-dev",
            kind=AttemptKind.DEPLOY,
            version="1.0.0",
            dag_id="release__hello",
            run_id="manual__1",
            outcome=Outcome.IN_PROGRESS,
            started_at=at(0),
            tries=1,
            artifact_digest="sha-package",
            template_hash="sha-template",
            parameters_hash="sha-parameters",
            parameter_versions={"Greeting": "ssm:/flightdeck/hello/greeting@3", "Token": TOKEN_MARKER},
            change_set_id="arn:aws:cloudformation:eu-west-1:111111111111:changeSet/flightdeck-1/abc",
            triggered_by="ann",
        )
        assert not attempt.finished

    def test_starting_the_same_attempt_again_returns_it_and_counts_a_try(self, ledger: Ledger) -> None:
        first = ledger.start_attempt(**target(), artifact_digest="d1", triggered_by="ann", started_at=at(0))

        again = ledger.start_attempt(**target(), change_set_id="cs-2", started_at=at(5))

        assert again == first
        attempt = ledger.attempt(first)
        assert (attempt.tries, attempt.started_at) == (2, at(5))
        assert (attempt.artifact_digest, attempt.change_set_id, attempt.triggered_by) == ("d1", "cs-2", "ann")
        assert len(ledger.history("hello")) == 1

    @pytest.mark.parametrize(
        "other",
        [
            {"run_id": "manual__2"},
            {"dag_id": "release__other"},
            {"environment": "prod", "account_id": PROD},
            {"account_id": "222222222222"},
            {"region": "us-east-1"},
        ],
        ids="-".join,
    )
    def test_another_run_or_target_is_another_attempt(self, ledger: Ledger, other: dict[str, str]) -> None:
        first = ledger.start_attempt(**target())

        assert ledger.start_attempt(**target(**other)) != first

    def test_restarting_a_finished_attempt_puts_it_back_in_progress(self, ledger: Ledger) -> None:
        attempt_id = deploy(ledger, Outcome.FAILED, minute=0)
        ledger.finish_attempt(attempt_id, Outcome.FAILED, message="stack failed", finished_at=at(1))

        assert ledger.start_attempt(**target(), started_at=at(10)) == attempt_id

        attempt = ledger.attempt(attempt_id)
        assert (attempt.outcome, attempt.finished_at, attempt.message) == (Outcome.IN_PROGRESS, None, None)
        assert (attempt.tries, attempt.started_at, attempt.artifact_digest) == (2, at(10), "d1")

    def test_concurrent_starts_of_one_attempt_make_one_row(self, ledger: Ledger) -> None:
        barrier = threading.Barrier(4)
        started: list[int] = []

        def start() -> None:
            barrier.wait()
            started.append(ledger.start_attempt(**target()))

        threads = [threading.Thread(target=start) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert len(set(started)) == 1
        assert len(started) == 4
        assert ledger.attempt(started[0]).tries == 4

    @pytest.mark.parametrize("outcome", FINAL_OUTCOMES, ids=str)
    def test_finish_attempt_records_the_outcome(self, ledger: Ledger, outcome: Outcome) -> None:
        attempt_id = ledger.start_attempt(**target(), started_at=at(0))

        finished = ledger.finish_attempt(attempt_id, outcome.value, message="why", finished_at=at(3))

        assert finished == ledger.attempt(attempt_id)
        assert (finished.outcome, finished.message, finished.finished_at) == (outcome, "why", at(3))
        assert finished.finished

    @pytest.mark.parametrize("outcome", ["in_progress", "success", "SUCCEEDED", ""])
    def test_finish_attempt_refuses_an_outcome_that_is_not_final(self, ledger: Ledger, outcome: str) -> None:
        attempt_id = ledger.start_attempt(**target())

        with pytest.raises(LedgerError, match=r"outcome|in progress"):
            ledger.finish_attempt(attempt_id, outcome)

        assert ledger.attempt(attempt_id).outcome is Outcome.IN_PROGRESS

    def test_the_database_itself_refuses_an_unknown_outcome(self, ledger: Ledger) -> None:
        row = {**target(), "kind": "deploy", "outcome": "done", "started_at": at(0), "tries": 1}

        with pytest.raises(exc.IntegrityError), ledger.engine.begin() as connection:
            connection.execute(insert(deployments).values(**row, parameter_versions={}))

    def test_an_unknown_attempt_cannot_be_finished_or_read(self, ledger: Ledger) -> None:
        with pytest.raises(LedgerError, match="no deployment attempt 404"):
            ledger.finish_attempt(404, Outcome.FAILED)
        with pytest.raises(LedgerError, match="no deployment attempt 404"):
            ledger.attempt(404)

    def test_a_long_message_is_cut(self, ledger: Ledger) -> None:
        attempt_id = ledger.start_attempt(**target())

        message = ledger.finish_attempt(attempt_id, Outcome.FAILED, message="x" * 10_000).message

        assert message is not None
        assert len(message) == MESSAGE_MAX
        assert message.endswith("…")

    def test_update_attempt_adds_what_was_learnt(self, ledger: Ledger) -> None:
        attempt_id = ledger.start_attempt(**target(), artifact_digest="d1")

        updated = ledger.update_attempt(
            attempt_id, template_hash="t1", parameter_versions={"Greeting": "literal"}, change_set_id="cs"
        )

        assert (updated.artifact_digest, updated.template_hash, updated.change_set_id) == ("d1", "t1", "cs")
        assert updated.parameter_versions == {"Greeting": "literal"}
        assert ledger.update_attempt(attempt_id) == updated

    # What the ledger refuses

    def test_parameter_values_are_refused(self, ledger: Ledger) -> None:
        with pytest.raises(LedgerError, match=r"parameter_versions\['Token'\] is not a version marker") as caught:
            ledger.start_attempt(**target(), parameter_versions={"Token": "hunter2"})

        assert "hunter2" not in str(caught.value)
        assert ledger.history("hello") == ()

    @pytest.mark.parametrize("account_id", ["11111111111", "1111111111111", "abcdefghijkl", 111111111111])
    def test_an_account_id_must_be_twelve_digits(self, ledger: Ledger, account_id: Any) -> None:
        with pytest.raises(LedgerError, match="not 12 digits"):
            ledger.start_attempt(**target(account_id=account_id))

    @pytest.mark.parametrize("missing", ["application", "version", "run_id", "stack_name"])
    def test_required_fields_must_not_be_empty(self, ledger: Ledger, missing: str) -> None:
        with pytest.raises(LedgerError, match=f"needs {missing}"):
            ledger.start_attempt(**target(**{missing: " "}))

    def test_a_value_longer_than_its_column_is_refused_on_every_backend(self, ledger: Ledger) -> None:
        with pytest.raises(LedgerError, match="version is 129 characters long; the ledger keeps at most 128"):
            ledger.start_attempt(**target(version="v" * 129))

    def test_a_rollback_names_the_attempt_it_rolled_back(self, ledger: Ledger) -> None:
        deployed = deploy(ledger, Outcome.SUCCEEDED, version="1.1.0")

        rollback = ledger.start_attempt(
            **target(version="1.1.0"), kind="rollback", rollback_of=deployed, rolled_back_to_version="1.0.0"
        )
        ledger.finish_attempt(deployed, Outcome.ROLLED_BACK, message="smoke test failed: http 500")

        attempt = ledger.attempt(rollback)
        assert rollback != deployed
        assert (attempt.kind, attempt.rollback_of, attempt.rolled_back_to_version) == (
            AttemptKind.ROLLBACK,
            deployed,
            "1.0.0",
        )
        assert ledger.attempt(deployed).outcome is Outcome.ROLLED_BACK

    @pytest.mark.parametrize(
        ("kind", "rollback_of"), [("rollback", None), ("deploy", 1)], ids=["rollback-of-nothing", "deploy-of-one"]
    )
    def test_only_a_rollback_names_a_rolled_back_attempt(self, ledger: Ledger, kind: str, rollback_of: Any) -> None:
        with pytest.raises(LedgerError, match="rollback_of"):
            ledger.start_attempt(**target(), kind=kind, rollback_of=rollback_of)

    def test_a_rollback_of_an_unknown_attempt_is_refused(self, ledger: Ledger) -> None:
        with pytest.raises(LedgerError, match="refused to start an attempt"):
            ledger.start_attempt(**target(), kind=AttemptKind.ROLLBACK, rollback_of=404)

    def test_an_unknown_kind_is_refused(self, ledger: Ledger) -> None:
        with pytest.raises(LedgerError, match="Unknown attempt kind 'redeploy'"):
            ledger.start_attempt(**target(), kind="redeploy")

    # Timestamps

    def test_timestamps_come_back_aware_in_utc(self, ledger: Ledger) -> None:
        paris = timezone(timedelta(hours=2))
        started = datetime(2026, 6, 1, 11, 30, 15, 123456, tzinfo=paris)
        attempt_id = ledger.start_attempt(**target(), started_at=started)

        finished = ledger.finish_attempt(attempt_id, Outcome.SUCCEEDED, finished_at=started + timedelta(seconds=90))

        assert finished.started_at == started
        assert finished.started_at.tzinfo == UTC
        assert finished.started_at.hour == 9
        assert finished.finished_at == datetime(2026, 6, 1, 9, 31, 45, 123456, tzinfo=UTC)

    def test_default_timestamps_are_now(self, ledger: Ledger) -> None:
        before = datetime.now(UTC)
        attempt = ledger.finish_attempt(ledger.start_attempt(**target()), Outcome.SUCCEEDED)

        assert attempt.finished_at is not None
        assert before <= attempt.started_at <= attempt.finished_at <= datetime.now(UTC)

    def test_naive_timestamps_are_refused(self, ledger: Ledger) -> None:
        with pytest.raises(LedgerError, match=r"^Timestamp 2026-06-01T09:00:00 has no time zone"):
            ledger.start_attempt(**target(), started_at=datetime(2026, 6, 1, 9, 0))

    # Approvals

    def test_an_approval_marks_the_runs_unapproved_deploy_attempts_of_that_environment(self, ledger: Ledger) -> None:
        dev = ledger.start_attempt(**target())
        dev_us = ledger.start_attempt(**target(region="us-east-1"))
        prod = ledger.start_attempt(**target(environment="prod", account_id=PROD))
        other_run = ledger.start_attempt(**target(run_id="manual__2"))

        marked = ledger.record_approval(
            dag_id="release__hello", run_id="manual__1", environment="dev", approved_by="ann", approved_at=at(7)
        )

        assert marked == 2
        assert [(ledger.attempt(i).approved_by, ledger.attempt(i).approved_at) for i in (dev, dev_us)] == [
            ("ann", at(7)),
            ("ann", at(7)),
        ]
        assert ledger.attempt(prod).approved_by is None
        assert ledger.attempt(other_run).approved_by is None

    def test_a_later_gate_approves_only_the_attempts_not_approved_yet(self, ledger: Ledger) -> None:
        first_wave = ledger.start_attempt(**target())
        ledger.record_approval(dag_id="release__hello", run_id="manual__1", environment="dev", approved_by="ann")
        second_wave = ledger.start_attempt(**target(account_id="222222222222"))

        marked = ledger.record_approval(
            dag_id="release__hello", run_id="manual__1", environment="dev", approved_by="bob"
        )

        assert marked == 1
        assert (ledger.attempt(first_wave).approved_by, ledger.attempt(second_wave).approved_by) == ("ann", "bob")

    # The matrix and the history

    def test_latest_by_target_is_the_newest_attempt_of_each_target(self, ledger: Ledger) -> None:
        deploy(ledger, Outcome.SUCCEEDED, minute=0)
        newest_dev = deploy(ledger, Outcome.FAILED, minute=10, run_id="manual__2", version="1.1.0")
        prod = deploy(ledger, Outcome.SUCCEEDED, minute=5, environment="prod", account_id=PROD)
        us = deploy(ledger, Outcome.IN_PROGRESS, minute=1, region="us-east-1")
        other_app = deploy(ledger, Outcome.SUCCEEDED, minute=2, application="other", dag_id="release__other")

        matrix = ledger.latest_by_target()

        assert ids(matrix) == [newest_dev, us, prod, other_app]  # by application, environment, account, region
        assert [(a.version, a.outcome) for a in matrix[:2]] == [
            ("1.1.0", Outcome.FAILED),
            ("1.0.0", Outcome.IN_PROGRESS),
        ]
        assert ids(ledger.latest_by_target(application="hello", environment="prod")) == [prod]
        assert ids(ledger.latest_by_target(environment="dev")) == [newest_dev, us, other_app]

    def test_latest_by_target_counts_a_rollback_and_breaks_ties_by_id(self, ledger: Ledger) -> None:
        deployed = deploy(ledger, Outcome.ROLLED_BACK, minute=0)
        rollback = ledger.start_attempt(**target(), kind="rollback", rollback_of=deployed, started_at=at(0))

        assert ids(ledger.latest_by_target()) == [rollback]

    def test_a_restarted_attempt_is_the_newest_again(self, ledger: Ledger) -> None:
        old_run = deploy(ledger, Outcome.FAILED, minute=0)
        deploy(ledger, Outcome.SUCCEEDED, minute=10, run_id="manual__2")

        ledger.start_attempt(**target(), started_at=at(20))  # someone clears the old run's failed target

        assert ids(ledger.latest_by_target()) == [old_run]

    def test_history_is_newest_first_and_filtered(self, ledger: Ledger) -> None:
        first = deploy(ledger, Outcome.SUCCEEDED, minute=0)
        second = deploy(ledger, Outcome.FAILED, minute=10, run_id="manual__2")
        third = deploy(ledger, Outcome.SUCCEEDED, minute=20, run_id="manual__3")
        us = deploy(ledger, Outcome.SUCCEEDED, minute=15, region="us-east-1")
        prod = deploy(ledger, Outcome.SUCCEEDED, minute=30, environment="prod", account_id=PROD)
        deploy(ledger, Outcome.SUCCEEDED, minute=40, application="other", dag_id="release__other")

        assert ids(ledger.history("hello")) == [prod, third, us, second, first]
        assert ids(ledger.history("hello", environment="dev", region="eu-west-1")) == [third, second, first]
        assert ids(ledger.history("hello", account_id=PROD)) == [prod]
        assert ids(ledger.history("hello", environment="dev", limit=2)) == [third, us]
        assert ledger.history("nobody") == ()
        with pytest.raises(LedgerError, match="limit 0"):
            ledger.history("hello", limit=0)

    # The promotion rule's evidence

    def test_a_version_succeeded_when_one_run_deployed_it_to_every_target(self, ledger: Ledger) -> None:
        deploy(ledger, Outcome.SUCCEEDED, minute=0)
        deploy(ledger, Outcome.SUCCEEDED, minute=1, region="us-east-1")

        (release,) = ledger.succeeded_versions("hello", "dev")

        assert (release.version, release.artifact_digest, release.run_id, release.targets) == (
            "1.0.0",
            "d1",
            "manual__1",
            2,
        )
        assert release.finished_at == at(2)
        assert ledger.has_succeeded("hello", "dev", "1.0.0", "d1")
        assert not ledger.has_succeeded("hello", "dev", "1.0.0", "d2")
        assert not ledger.has_succeeded("hello", "dev", "1.1.0", "d1")
        assert not ledger.has_succeeded("hello", "prod", "1.0.0", "d1")
        assert not ledger.has_succeeded("other", "dev", "1.0.0", "d1")

    @pytest.mark.parametrize("other", [Outcome.FAILED, Outcome.ROLLED_BACK, Outcome.NEVER_STARTED, Outcome.IN_PROGRESS])
    def test_a_run_with_a_target_that_did_not_succeed_is_no_evidence(self, ledger: Ledger, other: Outcome) -> None:
        deploy(ledger, Outcome.SUCCEEDED, minute=0)
        deploy(ledger, other, minute=1, region="us-east-1")

        assert ledger.succeeded_versions("hello", "dev") == ()
        assert not ledger.has_succeeded("hello", "dev", "1.0.0", "d1")

    def test_a_target_that_never_started_has_no_digest_and_still_counts(self, ledger: Ledger) -> None:
        deploy(ledger, Outcome.SUCCEEDED, minute=0)
        skipped = ledger.start_attempt(**target(region="us-east-1"))  # no package: it never got that far
        ledger.finish_attempt(skipped, Outcome.NEVER_STARTED, message="wave 1 failed")

        assert ledger.succeeded_versions("hello", "dev") == ()

    def test_a_cleared_target_that_then_succeeded_completes_the_run(self, ledger: Ledger) -> None:
        deploy(ledger, Outcome.SUCCEEDED, minute=0)
        failed = deploy(ledger, Outcome.FAILED, minute=1, region="us-east-1")
        assert not ledger.has_succeeded("hello", "dev", "1.0.0", "d1")

        assert deploy(ledger, Outcome.SUCCEEDED, minute=10, region="us-east-1") == failed

        assert ledger.has_succeeded("hello", "dev", "1.0.0", "d1")

    def test_a_run_that_deployed_two_digests_is_no_evidence(self, ledger: Ledger) -> None:
        deploy(ledger, Outcome.SUCCEEDED, minute=0, digest="d1")
        deploy(ledger, Outcome.SUCCEEDED, minute=1, digest="d2", region="us-east-1")

        assert ledger.succeeded_versions("hello", "dev") == ()

    def test_a_rollback_attempt_is_not_evidence_of_the_version(self, ledger: Ledger) -> None:
        deployed = deploy(ledger, Outcome.ROLLED_BACK, minute=0, version="1.1.0")
        rollback = ledger.start_attempt(**target(version="1.1.0"), kind="rollback", rollback_of=deployed)
        ledger.finish_attempt(rollback, Outcome.SUCCEEDED)

        assert ledger.succeeded_versions("hello", "dev") == ()

    def test_succeeded_versions_are_newest_first(self, ledger: Ledger) -> None:
        deploy(ledger, Outcome.SUCCEEDED, minute=0, version="1.0.0")
        deploy(ledger, Outcome.FAILED, minute=10, version="1.1.0", run_id="manual__2", digest="d2")
        deploy(ledger, Outcome.SUCCEEDED, minute=20, version="1.2.0", run_id="manual__3", digest="d3")
        deploy(ledger, Outcome.SUCCEEDED, minute=30, version="1.0.0", run_id="manual__4")  # a re-release

        releases = ledger.succeeded_versions("hello", "dev")

        assert [(r.version, r.artifact_digest, r.run_id) for r in releases] == [
            ("1.0.0", "d1", "manual__4"),
            ("1.2.0", "d3", "manual__3"),
            ("1.0.0", "d1", "manual__1"),
        ]

    # Overrides

    def test_overrides_are_recorded_and_listed_newest_first(self, ledger: Ledger) -> None:
        first = ledger.record_override(
            application="hello",
            environment="prod",
            version="1.0.0",
            artifact_digest="d1",
            run_id="manual__1",
            overridden_by="ann",
            reason="  hotfix for INC-42, staging is down  ",
            created_at=at(0),
        )
        second = ledger.record_override(
            application="hello",
            environment="staging",
            version="1.1.0",
            artifact_digest="d2",
            run_id="manual__2",
            overridden_by="bob",
            reason="dev is being rebuilt",
            created_at=at(5),
        )

        assert (first.reason, first.overridden_by, first.created_at) == (
            "hotfix for INC-42, staging is down",
            "ann",
            at(0),
        )
        assert ledger.overrides("hello") == (second, first)
        assert ledger.overrides("hello", environment="prod") == (first,)
        assert ledger.overrides("hello", version="1.1.0") == (second,)
        assert ledger.overrides("other") == ()

    @pytest.mark.parametrize("missing", ["reason", "overridden_by"])
    def test_an_override_needs_who_and_why(self, ledger: Ledger, missing: str) -> None:
        arguments = {
            "application": "hello",
            "environment": "prod",
            "version": "1.0.0",
            "artifact_digest": "d1",
            "run_id": "manual__1",
            "overridden_by": "ann",
            "reason": "hotfix",
        }

        with pytest.raises(LedgerError, match=f"needs {missing}"):
            ledger.record_override(**{**arguments, missing: "  "})

    # Records

    def test_records_are_frozen(self, ledger: Ledger) -> None:
        attempt = ledger.attempt(ledger.start_attempt(**target()))

        with pytest.raises(dataclasses.FrozenInstanceError):
            attempt.outcome = Outcome.SUCCEEDED  # type: ignore[misc]
        assert hash(attempt) == hash(ledger.attempt(attempt.id))
