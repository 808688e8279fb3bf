"""End to end in the production topology: the example release on PostgreSQL, Redis and a Celery worker.

The stack (``scripts/prodstack.py``) keeps Airflow's metadata, Celery's results and the release ledger in a
PostgreSQL database of its own on the machine's server, sends every task through Redis (a queue of its own) to an
``airflow celery worker`` process, and runs the api-server, scheduler, dag-processor and triggerer as processes of
their own. ``hello`` is released once, every gate answered by the approver through the REST API.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_stacks import combined_manifests
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, build_plan
from scripts.airflow_api import AirflowApi
from scripts.demo import APPROVER, MANAGER, ReleaseOutcome, deployment_rows, run_release, smoke_results
from scripts.devstack import ROOT
from scripts.prodstack import WORKER, ProductionStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

MANIFEST = ROOT / "include" / "manifests" / "hello.yaml"
GATES = ("dev.approve", "staging.approve", "prod.canary.approve", "prod.rest.approve")


@dataclass
class Release:
    """The release run and where every target stood after it."""

    outcome: ReleaseOutcome
    rows: list[dict[str, str]]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionStack]:
    manifests = combined_manifests(Path(tmp_path_factory.mktemp("manifests")), [MANIFEST])
    stack = ProductionStack(state_dir=Path(tmp_path_factory.mktemp("prodstack")), manifests_dir=manifests)
    stack.up()
    try:
        yield stack
    finally:
        stack.down()


@pytest.fixture(scope="module")
def plan() -> ReleasePlan:
    return build_plan(load_manifest(MANIFEST))


@pytest.fixture(scope="module")
def release(stack: ProductionStack, plan: ReleasePlan) -> Release:
    with pytest.MonkeyPatch.context() as env:
        for key, value in stack.aws_env().items():
            env.setenv(key, value)
        outcome = run_release(stack, plan, "1.0.0")
        return Release(outcome, deployment_rows(plan))


def _query(stack: ProductionStack, sql: str, **params: str) -> list[tuple]:
    engine = create_engine(stack.database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def test_the_release_deploys_every_target_with_each_gate_answered_over_rest(
    release: Release, plan: ReleasePlan, stack: ProductionStack
) -> None:
    outcome = release.outcome
    assert outcome.state == "success", outcome.task_instances
    # The first release creates an IAM role everywhere (a flagged change): every gate waited for the approver.
    assert outcome.gate_answers == dict.fromkeys(GATES, "Approve")
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    for gate in GATES:
        assert manager.gate(plan.dag_id, outcome.run_id, gate)["responded_by_user"]["name"] == APPROVER
    assert [(r["environment"], r["region"], r["status"], r["version"]) for r in release.rows] == [
        ("dev", "eu-west-1", "CREATE_COMPLETE", "1.0.0"),
        ("staging", "eu-west-1", "CREATE_COMPLETE", "1.0.0"),
        ("prod", "eu-west-1", "CREATE_COMPLETE", "1.0.0"),
        ("prod", "us-east-1", "CREATE_COMPLETE", "1.0.0"),
    ]
    assert smoke_results(outcome) == dict.fromkeys((t.label for t in plan.targets), "success")


def test_every_task_ran_on_the_celery_worker(release: Release, stack: ProductionStack) -> None:
    ran = [ti for ti in release.outcome.task_instances if ti["hostname"]]
    assert {ti["state"] for ti in release.outcome.task_instances if not ti["hostname"]} <= {"skipped"}
    assert len(ran) >= 20  # preflight, 4 steps for each of 4 targets, 4 gates, wave checks, the summary
    # Sent to this stack's own queue, which only its worker consumes; the worker logged each task instance it ran.
    assert {ti["queue"] for ti in ran} == {stack.state.queue}
    worker_log = (stack.logs_dir / f"{WORKER}.log").read_text(errors="replace")
    executed = [line for line in worker_log.splitlines() if "Executing workload in Celery" in line]
    missing = [(ti["task_id"], ti["map_index"]) for ti in ran if not any(ti["id"] in line for line in executed)]
    assert missing == []


def test_airflow_metadata_and_celery_results_are_in_postgresql(release: Release, stack: ProductionStack) -> None:
    run_id = release.outcome.run_id
    assert _query(stack, "SELECT state FROM dag_run WHERE run_id = :run_id", run_id=run_id) == [("success",)]
    [(instances,)] = _query(stack, "SELECT count(*) FROM task_instance WHERE run_id = :run_id", run_id=run_id)
    assert instances == len(release.outcome.task_instances)
    [(results,)] = _query(stack, "SELECT count(*) FROM celery_taskmeta WHERE status = 'SUCCESS'")
    assert results >= 20
    # Nothing fell back to SQLite.
    assert list(stack.airflow_home.glob("*.db")) == []


def test_the_ledger_is_in_postgresql_and_every_target_succeeded(
    release: Release, plan: ReleasePlan, stack: ProductionStack
) -> None:
    rows = _query(
        stack,
        "SELECT environment, account_id, region, version, outcome, triggered_by, approved_by "
        "FROM flightdeck_deployments WHERE run_id = :run_id AND kind = 'deploy' ORDER BY environment, region",
        run_id=release.outcome.run_id,
    )
    expected = {(t.environment, t.account_id, t.region, "1.0.0", "succeeded", MANAGER, APPROVER) for t in plan.targets}
    assert set(rows) == expected
    assert len(rows) == len(plan.targets)
    # Beside Airflow's tables in the same database, each side with its own migration history.
    tables = {name for (name,) in _query(stack, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"alembic_version", "flightdeck_alembic_version", "dag_run"} <= tables
