"""The page's small pieces: ages, status words, links under a base path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flightdeck.ledger import Attempt, AttemptKind, DriftStatus, Outcome
from flightdeck.web.links import Links
from flightdeck.web.render import age, status_label

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _attempt(**changes: object) -> Attempt:
    values: dict[str, object] = {
        "id": 7,
        "application": "hello",
        "environment": "prod",
        "account_id": "333333333333",
        "region": "eu-west-1",
        "stack_name": "hello-prod",
        "kind": AttemptKind.DEPLOY,
        "version": "2.0.0",
        "dag_id": "release__hello",
        "run_id": "manual__2026-11-28T10:00:00+00:00",
        "outcome": Outcome.SUCCEEDED,
        "started_at": NOW,
    }
    return Attempt(**{**values, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=2), "just now"),
        (timedelta(seconds=42), "42 s ago"),
        (timedelta(minutes=5, seconds=59), "5 min ago"),
        (timedelta(hours=3, minutes=1), "3 h ago"),
        (timedelta(days=2, hours=23), "2 d ago"),
    ],
)
def test_age(delta: timedelta, expected: str) -> None:
    assert age(NOW - delta, NOW) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "succeeded"),
        ({"outcome": Outcome.IN_PROGRESS}, "in progress"),
        ({"outcome": Outcome.NEVER_STARTED}, "never started"),
        (
            {"kind": AttemptKind.ROLLBACK, "rollback_of": 6, "rolled_back_to_version": "1.0.0"},
            "rollback to 1.0.0: succeeded",
        ),
        ({"kind": AttemptKind.ROLLBACK, "rollback_of": 6, "outcome": Outcome.FAILED}, "rollback: failed"),
        ({"kind": AttemptKind.REFRESH}, "refresh: succeeded"),
        ({"kind": AttemptKind.REFRESH, "drift_status": DriftStatus.DRIFTED}, "refresh, drift found: succeeded"),
    ],
)
def test_status_label(changes: dict[str, object], expected: str) -> None:
    assert status_label(_attempt(**changes)) == expected


def test_links_follow_the_mount_point_and_quote_run_ids() -> None:
    links = Links.from_root_path("/airflow/flightdeck")
    assert links.app == "/airflow/flightdeck"
    assert links.run(_attempt()) == "/airflow/dags/release__hello/runs/manual__2026-11-28T10%3A00%3A00%2B00%3A00"
    assert links.required_actions() == "/airflow/required_actions"
    assert links.matrix("hello", None) == "/airflow/flightdeck/releases?application=hello"
    assert links.history("a b", "prod") == "/airflow/flightdeck/releases/a%20b/history?environment=prod"
    assert Links.from_root_path("/flightdeck").ui == ""
