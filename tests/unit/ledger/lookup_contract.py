"""The ledger's lookups used by tasks (an attempt by its key, a release's attempts, an approval per target),
run on SQLite (unit tests) and PostgreSQL (integration tests)."""

from __future__ import annotations

from tests.unit.ledger.ledger_contract import DEV, PROD, at, deploy, target

from flightdeck.ledger import AttemptKind, Ledger, Outcome

KEY = {
    "dag_id": "release__hello",
    "run_id": "manual__1",
    "environment": "dev",
    "account_id": DEV,
    "region": "eu-west-1",
}


class LookupContract:
    """What tasks look up in the ledger, whatever the database."""

    def test_find_attempt_finds_the_attempt_of_a_run_and_target(self, ledger: Ledger) -> None:
        attempt_id = deploy(ledger, Outcome.FAILED)
        deploy(ledger, Outcome.SUCCEEDED, run_id="manual__2")

        found = ledger.find_attempt(**KEY)

        assert found is not None
        assert (found.id, found.outcome) == (attempt_id, Outcome.FAILED)

    def test_find_attempt_tells_kinds_and_targets_apart(self, ledger: Ledger) -> None:
        deploy(ledger, Outcome.SUCCEEDED)

        assert ledger.find_attempt(**KEY, kind=AttemptKind.ROLLBACK) is None
        assert ledger.find_attempt(**{**KEY, "region": "us-east-1"}) is None
        assert ledger.find_attempt(**{**KEY, "run_id": "manual__9"}) is None

    def test_release_attempts_are_every_run_of_one_version_oldest_first(self, ledger: Ledger) -> None:
        first = deploy(ledger, Outcome.FAILED, minute=0)
        second = deploy(ledger, Outcome.SUCCEEDED, minute=5, run_id="manual__2")
        deploy(ledger, Outcome.SUCCEEDED, minute=6, version="2.0.0", run_id="manual__3")
        deploy(ledger, Outcome.SUCCEEDED, minute=7, environment="prod", account_id=PROD)
        ledger.start_attempt(**target(run_id="manual__2"), kind="rollback", rollback_of=second, started_at=at(8))

        attempts = ledger.release_attempts("hello", "dev", "1.0.0")

        assert [attempt.id for attempt in attempts] == [first, second]

    def test_an_approval_can_name_the_targets_it_approved(self, ledger: Ledger) -> None:
        ireland = deploy(ledger, Outcome.IN_PROGRESS)
        virginia = deploy(ledger, Outcome.IN_PROGRESS, region="us-east-1")

        marked = ledger.record_approval(
            dag_id="release__hello",
            run_id="manual__1",
            environment="dev",
            approved_by="approver",
            targets=[(DEV, "us-east-1")],
        )

        assert marked == 1
        assert ledger.attempt(virginia).approved_by == "approver"
        assert ledger.attempt(ireland).approved_by is None
        assert (
            ledger.record_approval(
                dag_id="release__hello", run_id="manual__1", environment="dev", approved_by="x", targets=[]
            )
            == 0
        )

    def test_an_approval_of_a_refresh_marks_only_refresh_attempts(self, ledger: Ledger) -> None:
        released = deploy(ledger, Outcome.IN_PROGRESS)
        refreshed = ledger.start_attempt(**target(run_id="scheduled__1"), kind="refresh")
        ledger.start_attempt(**target(run_id="scheduled__1"))  # a deploy attempt of the same run (none in practice)

        marked = ledger.record_approval(
            dag_id="release__hello", run_id="scheduled__1", environment="dev", approved_by="approver", kind="refresh"
        )

        assert marked == 1
        assert ledger.attempt(refreshed).approved_by == "approver"
        assert ledger.attempt(released).approved_by is None
