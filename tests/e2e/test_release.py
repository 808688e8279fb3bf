"""End to end: a real Airflow scheduler releases the example app to three local AWS accounts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scripts.airflow_api import AirflowApi
from scripts.demo import MANAGER, ReleaseOutcome, deployment_rows, run_release, smoke_results
from scripts.devstack import ROOT, Stack

from flightdeck.aws.session import assume_role
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, build_plan

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

MANIFEST = ROOT / "include" / "manifests" / "hello.yaml"


@pytest.fixture(scope="module")
def plan() -> ReleasePlan:
    return build_plan(load_manifest(MANIFEST))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(state_dir=Path(tmp_path_factory.mktemp("stack")))
    stack.up()
    try:
        yield stack
    finally:
        stack.down()


@pytest.fixture(scope="module")
def released_v1(stack: Stack, plan: ReleasePlan) -> tuple[ReleaseOutcome, list[int]]:
    """Version 1.0.0 released everywhere; on the way, the release manager tries to approve their own run."""
    refusals: list[int] = []

    def release_manager_tries_first(gate: dict) -> None:
        manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
        response = manager.answer_gate(plan.dag_id, gate["dag_run_id"], gate["task_id"], "Approve", gate["map_index"])
        refusals.append(response.status_code)

    return run_release(stack, plan, "1.0.0", before_answer=release_manager_tries_first), refusals


def _stack_in(target, plan: ReleasePlan):
    session = assume_role(
        aws_conn_id=None,
        role_arn=target.deploy_role_arn,
        region=target.region,
        external_id=target.external_id,
        session_name="e2e-check",
    )
    return session.client("cloudformation"), session


def test_approved_release_deploys_every_target(
    stack: Stack,
    plan: ReleasePlan,
    released_v1: tuple[ReleaseOutcome, list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in stack.aws_env().items():
        monkeypatch.setenv(key, value)
    released_v1, refusals = released_v1
    assert released_v1.state == "success", released_v1.task_instances
    assert released_v1.gate_answers == {"prod.approve": "Approve"}
    # Separation of duties: the release manager is an approver but may not approve their own run.
    assert refusals == [403]

    rows = deployment_rows(plan)
    assert [(r["environment"], r["account"], r["region"]) for r in rows] == [
        ("dev", "111111111111", "eu-west-1"),
        ("staging", "222222222222", "eu-west-1"),
        ("prod", "333333333333", "eu-west-1"),
        ("prod", "333333333333", "us-east-1"),
    ]
    for row in rows:
        assert row["status"] == "CREATE_COMPLETE"
        assert row["version"] == "1.0.0"
        assert row["key output"] == f"Hello from {row['environment']}"
    assert set(smoke_results(released_v1).values()) == {"success"}
    for target in plan.targets:
        cloudformation, _ = _stack_in(target, plan)
        described = cloudformation.describe_stacks(StackName=target.stack_name)["Stacks"][0]
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}
        assert parameters["EnvironmentName"] == target.environment
        assert parameters["Greeting"] == "Hello"  # resolved from SSM in the target account
        assert parameters["AppVersion"] == "1.0.0"
        tags = {t["Key"]: t["Value"] for t in described["Tags"]}
        assert tags["flightdeck:run-id"] == released_v1.run_id


def test_rejected_release_executes_nothing_in_prod(
    stack: Stack,
    plan: ReleasePlan,
    released_v1: tuple[ReleaseOutcome, list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in stack.aws_env().items():
        monkeypatch.setenv(key, value)
    outcome = run_release(stack, plan, "2.0.0", answer="Reject")

    assert outcome.state == "failed"
    assert outcome.gate_answers == {"prod.approve": "Reject"}
    states = {(ti["task_id"], ti.get("rendered_map_index")): ti["state"] for ti in outcome.task_instances}
    assert states[("prod.approve", None)] == "failed"
    assert {s for (task, _), s in states.items() if task.startswith("prod.deploy.")} == {"upstream_failed"}
    versions = {(r["environment"], r["region"]): r["version"] for r in deployment_rows(plan)}
    assert versions == {
        ("dev", "eu-west-1"): "2.0.0",
        ("staging", "eu-west-1"): "2.0.0",
        ("prod", "eu-west-1"): "1.0.0",
        ("prod", "us-east-1"): "1.0.0",
    }
    for target in plan.targets:
        if target.environment != "prod":
            continue
        cloudformation, _ = _stack_in(target, plan)
        assert cloudformation.list_change_sets(StackName=target.stack_name)["Summaries"] == []
