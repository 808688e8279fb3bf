"""Refresh attempts and their drift reports in the ledger, run on SQLite (unit) and PostgreSQL (integration).

A backend's test module subclasses :class:`DriftContract` with a ``ledger`` fixture: an empty, migrated ledger.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import exc, update

from flightdeck.ledger import AttemptKind, DriftedResource, DriftStatus, Ledger, LedgerError, Outcome
from flightdeck.ledger.schema import deployments

SETTING = DriftedResource("Setting", "AWS::SSM::Parameter", "MODIFIED", (("/Value", "NOT_EQUAL"),))
FUNCTION = DriftedResource(
    "Function",
    "AWS::Lambda::Function",
    "MODIFIED",
    (("/Environment/Variables/GREETING", "NOT_EQUAL"), ("/Environment/Variables/EXTRA", "ADD")),
)
GONE = DriftedResource("Queue", "AWS::SQS::Queue", "DELETED")


def refresh(ledger: Ledger, run_id: str = "scheduled__1", **changes: Any) -> int:
    arguments: dict[str, Any] = {
        "application": "hello",
        "environment": "dev",
        "account_id": "111111111111",
        "region": "eu-west-1",
        "stack_name": "hello-dev",
        "version": "1.0.0",
        "dag_id": "refresh__hello",
        "run_id": run_id,
        "kind": "refresh",
        "artifact_digest": "d1",
    }
    return ledger.start_attempt(**{**arguments, **changes})


class DriftContract:
    """What every backend must do with refresh attempts and drift."""

    def test_a_refresh_records_its_drift_report(self, ledger: Ledger) -> None:
        attempt_id = refresh(ledger)

        recorded = ledger.record_drift(attempt_id, drift_status="DRIFTED", drifted_resources=[SETTING, FUNCTION, GONE])

        assert recorded == ledger.attempt(attempt_id)
        assert recorded.kind is AttemptKind.REFRESH
        assert recorded.drift_status is DriftStatus.DRIFTED
        assert recorded.drifted_resources == (SETTING, FUNCTION, GONE)
        assert recorded.outcome is Outcome.IN_PROGRESS

    def test_an_attempt_without_a_detection_has_no_drift(self, ledger: Ledger) -> None:
        attempt_id = refresh(ledger)

        assert (ledger.attempt(attempt_id).drift_status, ledger.attempt(attempt_id).drifted_resources) == (None, None)
        in_sync = ledger.record_drift(attempt_id, drift_status=DriftStatus.IN_SYNC)
        assert (in_sync.drift_status, in_sync.drifted_resources) == (DriftStatus.IN_SYNC, ())

    def test_recording_again_replaces_the_report(self, ledger: Ledger) -> None:
        attempt_id = refresh(ledger)
        ledger.record_drift(attempt_id, drift_status="DRIFTED", drifted_resources=[SETTING])

        again = ledger.record_drift(attempt_id, drift_status="IN_SYNC", drifted_resources=[])

        assert (again.drift_status, again.drifted_resources) == (DriftStatus.IN_SYNC, ())

    @pytest.mark.parametrize(
        ("status", "resources", "message"),
        [
            ("DRIFTING", [], "Unknown drift status 'DRIFTING'"),
            ("DRIFTED", [DriftedResource("X", "AWS::SSM::Parameter", "IN_SYNC")], "is not MODIFIED or DELETED"),
            ("DRIFTED", [DriftedResource("", "AWS::SSM::Parameter", "MODIFIED")], "logical id and resource type"),
            # A "path" that is a value, or an unknown kind: refused, and the error does not repeat it.
            ("DRIFTED", [DriftedResource("X", "T", "MODIFIED", (("hunter2", "NOT_EQUAL"),))], "records no value"),
            ("DRIFTED", [DriftedResource("X", "T", "MODIFIED", (("/Value", "hunter2"),))], "records no value"),
            ("DRIFTED", [{"logical_id": "X", "value": "hunter2"}], "DriftedResource records"),
        ],
    )
    def test_bad_reports_are_refused_without_echoing_them(
        self, ledger: Ledger, status: str, resources: list[Any], message: str
    ) -> None:
        attempt_id = refresh(ledger)

        with pytest.raises(LedgerError, match=message) as raised:
            ledger.record_drift(attempt_id, drift_status=status, drifted_resources=resources)

        assert "hunter2" not in str(raised.value)
        assert ledger.attempt(attempt_id).drift_status is None

    def test_drift_of_an_unknown_attempt_is_refused(self, ledger: Ledger) -> None:
        with pytest.raises(LedgerError, match="no deployment attempt 4711"):
            ledger.record_drift(4711, drift_status="IN_SYNC")

    def test_the_database_refuses_an_unknown_drift_status(self, ledger: Ledger) -> None:
        attempt_id = refresh(ledger)

        with pytest.raises(exc.IntegrityError), ledger.engine.begin() as connection:
            connection.execute(update(deployments).where(deployments.c.id == attempt_id).values(drift_status="X"))

    def test_refreshes_are_no_evidence_for_the_promotion_rule(self, ledger: Ledger) -> None:
        ledger.finish_attempt(refresh(ledger), Outcome.SUCCEEDED)

        assert ledger.succeeded_versions("hello", "dev") == ()
        assert not ledger.has_succeeded("hello", "dev", "1.0.0", "d1")

    def test_a_refresh_is_the_newest_attempt_of_its_target(self, ledger: Ledger) -> None:
        deploy_id = refresh(ledger, kind="deploy", dag_id="release__hello", run_id="manual__1")
        ledger.finish_attempt(deploy_id, Outcome.SUCCEEDED)
        refresh_id = refresh(ledger)
        ledger.finish_attempt(refresh_id, Outcome.SUCCEEDED)

        [latest] = ledger.latest_by_target(application="hello")

        assert (latest.id, latest.kind) == (refresh_id, AttemptKind.REFRESH)
        assert [attempt.id for attempt in ledger.history("hello")] == [refresh_id, deploy_id]
        # Its deploy attempt is still the evidence that 1.0.0 succeeded in dev.
        assert [release.run_id for release in ledger.succeeded_versions("hello", "dev")] == ["manual__1"]

    def test_each_scheduled_run_is_its_own_attempt(self, ledger: Ledger) -> None:
        first, second = refresh(ledger, "scheduled__1"), refresh(ledger, "scheduled__2")

        assert first != second
        assert refresh(ledger, "scheduled__1") == first
        assert ledger.attempt(first).tries == 2
