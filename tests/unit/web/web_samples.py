"""Sample ledger records for the Releases page's tests, written through the Ledger API; a stand-in viewer; the app."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from flightdeck.ledger import Ledger, Outcome
from flightdeck.web.app import create_app
from flightdeck.web.auth import Viewer, current_viewer
from flightdeck.web.links import URL_PREFIX

NOW = datetime.now(UTC).replace(microsecond=0)
DENIED_DAG = "release__payroll"  # the stand-in auth manager lets the tester read every release DAG but this one
XSS = "<img src=x onerror=alert(1)>"  # no "/": an application name is one path segment
RUN_ONE = "manual__2026-11-01T10:00:00+00:00"
RUN_TWO = "manual__2026-11-02T10:00:00+00:00"


def at(hours_ago: float) -> datetime:
    return NOW - timedelta(hours=hours_ago)


# application, environment, account, region, version, run, hours ago, outcome, message
ATTEMPTS = [
    ("hello", "dev", "111111111111", "eu-west-1", "1.0.0", RUN_ONE, 50, Outcome.SUCCEEDED, None),
    ("hello", "staging", "222222222222", "eu-west-1", "1.0.0", RUN_ONE, 49, Outcome.SUCCEEDED, None),
    ("hello", "prod", "333333333333", "eu-west-1", "1.0.0", RUN_ONE, 48, Outcome.SUCCEEDED, None),
    ("hello", "prod", "333333333333", "us-east-1", "1.0.0", RUN_ONE, 47, Outcome.SUCCEEDED, None),
    ("hello", "dev", "111111111111", "eu-west-1", "2.0.0", RUN_TWO, 3, Outcome.SUCCEEDED, None),
    ("hello", "staging", "222222222222", "eu-west-1", "2.0.0", RUN_TWO, 2, Outcome.FAILED, "Stack failed"),
    ("hello", "prod", "333333333333", "eu-west-1", "2.0.0", RUN_TWO, 1, Outcome.ROLLED_BACK, None),
    ("payroll", "dev", "111111111111", "eu-west-1", "9.9.9", RUN_ONE, 0.5, Outcome.SUCCEEDED, None),
    (XSS, "dev", "111111111111", "eu-west-1", "1.0", RUN_ONE, 0.2, Outcome.FAILED, f"broke {XSS}"),
]


def seed(ledger: Ledger) -> None:
    """:data:`ATTEMPTS`: hello's 1.0.0 everywhere (approved by ``approver``), then 2.0.0 succeeded in dev, failed
    in staging and rolled back in prod eu-west-1; payroll (not readable by the tester); an application whose name
    and message are HTML."""
    for application, environment, account, region, version, run_id, hours_ago, outcome, message in ATTEMPTS:
        attempt_id = ledger.start_attempt(
            application=application,
            environment=environment,
            account_id=account,
            region=region,
            stack_name=f"app-{environment}",
            version=version,
            dag_id=f"release__{application}",
            run_id=run_id,
            triggered_by="release-manager",
            artifact_digest="sha256:" + "ab" * 32,
            started_at=at(hours_ago),
        )
        ledger.finish_attempt(attempt_id, outcome, message=message, finished_at=at(hours_ago - 0.1))
    for environment in ("dev", "staging", "prod"):
        ledger.record_approval(dag_id="release__hello", run_id=RUN_ONE, environment=environment, approved_by="approver")


def readable_by_tester(dag_ids: Collection[str]) -> set[str]:
    """The stand-in auth manager: every release DAG but payroll's."""
    return {dag_id for dag_id in dag_ids if dag_id != DENIED_DAG}


TESTER = Viewer("tester", readable_by_tester)


def client_for(url: URL, viewer: Viewer | None = None) -> TestClient:
    """The app mounted at /flightdeck as the api-server mounts it; the viewer stands in for Airflow's auth."""
    app = create_app(lambda: url)
    app.dependency_overrides[current_viewer] = lambda: viewer or TESTER
    root = FastAPI()
    root.mount(URL_PREFIX, app)
    return TestClient(root)
