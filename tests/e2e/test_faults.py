"""Fault injection end to end: a real scheduler releases the 20-target ``wide`` app through a slow, throttling AWS.

The local AWS's fault injection (docs/local-aws.md) makes every stack operation take two minutes and throttles half
of all CloudFormation calls. While the targets wait on CloudFormation, no task holds a worker slot: they are
deferred, and the approval gate awaits input. The release still succeeds everywhere, and nothing is lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_stacks import serve

from flightdeck.localaws.faults_client import fault_stats, faults, throttle
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, build_plan
from scripts.airflow_api import AirflowApi
from scripts.demo import APPROVER, MANAGER, deployment_rows, follow_run, trigger_release, wait_for_settled_gate
from scripts.devstack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

MANIFEST = Path(__file__).resolve().parent / "apps" / "wide.yaml"  # its own stack serves it
EXECUTE = "wide.deploy.execute_change_set"
# Long enough that every target's stack operation is still running when the last target has started its own (on a
# loaded 2-core machine the 20 executes were seen starting over 80 s).
STACK_OPERATION_SECONDS = 120


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own serving only this app (``make test`` runs this module beside the other e2e tests)."""
    yield from serve(tmp_path_factory, [MANIFEST])


@pytest.fixture(scope="module")
def plan() -> ReleasePlan:
    return build_plan(load_manifest(MANIFEST))


def _running(task_instances: list[dict[str, Any]]) -> list[str]:
    """The task instances holding a worker slot (running), as ``task[label]``."""
    return [f"{ti['task_id']}[{ti.get('rendered_map_index')}]" for ti in task_instances if ti["state"] == "running"]


def _wait_for(
    api: AirflowApi, plan: ReleasePlan, run_id: str, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 300
) -> list[dict[str, Any]]:
    """The run's task instances at the first poll where ``done`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task_instances = api.task_instances(plan.dag_id, run_id)
        if done(task_instances):
            return task_instances
        if api.run(plan.dag_id, run_id)["state"] in ("success", "failed"):
            raise AssertionError(f"the run ended first: {[(ti['task_id'], ti['state']) for ti in task_instances]}")
        time.sleep(1)
    raise AssertionError(f"not reached within {timeout:g} s")


def test_twenty_targets_wait_holding_no_worker_slot_through_throttling(
    stack: Stack, aws_env: Stack, plan: ReleasePlan, record_fault: Any
) -> None:
    assert len(plan.targets) == 20
    endpoint = stack.aws_env()["AWS_ENDPOINT_URL"]
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    approver = AirflowApi(stack.api_url, APPROVER, stack.state.passwords[APPROVER])
    rules = [throttle("cloudformation:*", 0.5)]
    with faults(endpoint, rules, stack_operation_seconds=STACK_OPERATION_SECONDS):
        started = time.monotonic()
        run_id = trigger_release(stack, plan, "1.0.0")
        # The first release creates IAM roles: the gate waits for a person, holding no worker slot.
        gate = wait_for_settled_gate(stack, plan.dag_id, run_id, settle_seconds=10)
        parked = manager.task_instances(plan.dag_id, run_id)
        assert _running(parked) == []
        assert [ti["state"] for ti in parked if ti["task_id"] == gate["task_id"]] == ["awaiting_input"]
        approver.answer_gate(plan.dag_id, run_id, gate["task_id"], "Approve", gate["map_index"])

        # Every target's stack operation runs for two minutes: all 20 executes wait deferred, none holds a slot.
        waiting = _wait_for(
            manager,
            plan,
            run_id,
            lambda tis: sum(ti["task_id"] == EXECUTE and ti["state"] == "deferred" for ti in tis) == 20,
        )
        assert _running(waiting) == []
        stats = fault_stats(endpoint)
        outcome = follow_run(stack, plan.dag_id, run_id)

    assert outcome.state == "success", [(ti["task_id"], ti["state"]) for ti in outcome.task_instances]
    throttled = {operation: counts["throttled"] for operation, counts in stats.items() if counts["throttled"]}
    assert sum(throttled.values()) >= 20, stats  # half of CloudFormation's answers were "Rate exceeded"
    # Nothing lost, nothing done twice: every target runs 1.0.0; its change set was executed once (the calls
    # CloudFormation answered, throttled ones aside).
    rows = deployment_rows(plan)
    assert {(row["status"], row["version"]) for row in rows} == {("CREATE_COMPLETE", "1.0.0")}
    executed = stats["cloudformation:ExecuteChangeSet"]
    assert executed["calls"] - executed["throttled"] == 20
    assert {ti["state"] for ti in outcome.task_instances if ti["task_id"] == EXECUTE} == {"success"}
    record_fault(
        f"50 % of CloudFormation calls throttled, {STACK_OPERATION_SECONDS} s stack operations, 20 targets",
        f"release succeeded everywhere; {sum(throttled.values())} calls throttled and retried; each change set "
        "executed once",
        "automatic (botocore retries, task retries); the whole release, approval included, took this long",
        time.monotonic() - started,
    )
