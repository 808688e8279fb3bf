"""`make demo`: start the local stack, release the example app as a release manager, approve as an approver.

Prints where every target landed and stops what it started. Exits 0 only if every target deployed and passed
its smoke test.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flightdeck import naming
from flightdeck.aws.cloudformation import describe_stack
from flightdeck.aws.session import AccountSession, assume_role
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, Target, build_plan
from scripts.airflow_api import AirflowApi
from scripts.devstack import ROOT, Stack

MANAGER = "release-manager"
APPROVER = "approver"
# Answering a gate before the worker that parked it has been seen to exit can fail the task (docs/approvals.md):
# ~1 s on an idle machine, 5 s was seen under load.
GATE_SETTLE_SECONDS = 8


@dataclass
class ReleaseOutcome:
    """What a release run ended as, and the answer given to each gate."""

    run_id: str
    state: str
    task_instances: list[dict[str, Any]]
    gate_answers: dict[str, str]
    seconds: float


def run_release(
    stack: Stack,
    plan: ReleasePlan,
    version: str,
    answer: str = "Approve",
    before_answer: Callable[[dict[str, Any]], None] | None = None,
) -> ReleaseOutcome:
    """Trigger ``plan``'s DAG as the release manager, then :func:`follow_run`."""
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    manager.wait_for_dag(plan.dag_id)
    manager.unpause(plan.dag_id)
    run_id = manager.trigger(plan.dag_id, {"version": version})
    print(f"Triggered {plan.dag_id} run {run_id} (version {version}) as {MANAGER}")
    return follow_run(stack, plan.dag_id, run_id, answer, before_answer)


def follow_run(
    stack: Stack,
    dag_id: str,
    run_id: str,
    answer: str = "Approve",
    before_answer: Callable[[dict[str, Any]], None] | None = None,
    *,
    settle_seconds: float = GATE_SETTLE_SECONDS,
) -> ReleaseOutcome:
    """Answer every gate of a run as the approver until the run finishes.

    ``before_answer`` is called with each parked gate's task instance before the approver answers it.
    ``settle_seconds``: how long a gate must have been awaiting input before it is answered.
    """
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    approver = AirflowApi(stack.api_url, APPROVER, stack.state.passwords[APPROVER])
    started = time.monotonic()
    answers: dict[str, str] = {}
    parked_since: dict[str, float] = {}
    while True:
        run = manager.run(dag_id, run_id)
        task_instances = manager.task_instances(dag_id, run_id)
        if run["state"] in ("success", "failed"):
            return ReleaseOutcome(run_id, run["state"], task_instances, answers, time.monotonic() - started)
        for ti in task_instances:
            gate = ti["task_id"]
            if ti["state"] != "awaiting_input" or gate in answers:
                continue
            parked_since.setdefault(gate, time.monotonic())
            if time.monotonic() - parked_since[gate] < settle_seconds:
                continue
            if before_answer is not None:
                before_answer(ti)
            response = approver.answer_gate(dag_id, run_id, gate, answer, ti["map_index"])
            if not response.ok:
                raise RuntimeError(f"{APPROVER} could not answer {gate}: HTTP {response.status_code} {response.text}")
            answers[gate] = answer
            print(f"{APPROVER} answered {gate}: {answer}")
        time.sleep(1)


def trigger_release(stack: Stack, plan: ReleasePlan, version: str) -> str:
    """Trigger ``plan``'s DAG as the release manager without following it; returns the run id."""
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    manager.wait_for_dag(plan.dag_id)
    manager.unpause(plan.dag_id)
    run_id = manager.trigger(plan.dag_id, {"version": version})
    print(f"Triggered {plan.dag_id} run {run_id} (version {version}) as {MANAGER}")
    return run_id


def wait_for_settled_gate(
    stack: Stack, dag_id: str, run_id: str, *, settle_seconds: float = GATE_SETTLE_SECONDS, timeout: float = 600
) -> dict[str, Any]:
    """The first gate of a run to park, returned once it has been awaiting input for ``settle_seconds``.

    Whoever answers it then (a person in the browser, a script) is past the race described in docs/approvals.md.
    """
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    deadline = time.monotonic() + timeout
    parked_since: dict[tuple[str, int], float] = {}
    while time.monotonic() < deadline:
        for ti in manager.task_instances(dag_id, run_id):
            if ti["state"] != "awaiting_input":
                continue
            since = parked_since.setdefault((ti["task_id"], ti["map_index"]), time.monotonic())
            if time.monotonic() - since >= settle_seconds:
                return ti
        if manager.run(dag_id, run_id)["state"] in ("success", "failed"):
            raise RuntimeError(f"run {run_id} of {dag_id} finished without a gate awaiting input")
        time.sleep(1)
    raise TimeoutError(f"no gate of run {run_id} of {dag_id} awaited input within {timeout:.0f} s")


def deploy_session(target: Target) -> AccountSession:
    """A session in ``target``'s account through its deploy role (credentials and endpoint from the environment)."""
    return assume_role(
        aws_conn_id=None,
        role_arn=target.deploy_role_arn,
        region=target.region,
        external_id=target.external_id,
        session_name="flightdeck-demo",
    )


def deployment_rows(plan: ReleasePlan) -> list[dict[str, str]]:
    """Where every target of ``plan`` stands now, read from its account with its deploy role."""
    rows = []
    for target in plan.targets:
        stack = describe_stack(deploy_session(target), target.stack_name)
        outputs = stack.outputs if stack else {}
        key_output = outputs.get("ApiMessage") or next(iter(outputs.values()), "")
        rows.append(
            {
                "environment": target.environment,
                "account": target.account_id,
                "region": target.region,
                "stack": target.stack_name,
                "status": stack.status if stack else "NOT DEPLOYED",
                "version": stack.tags.get(naming.VERSION_TAG, "") if stack else "",
                "key output": key_output,
            }
        )
    return rows


def format_table(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "(no targets)"
    headers = list(rows[0])
    widths = {h: max(len(h), *(len(str(row[h])) for row in rows)) for h in headers}
    lines = ["  ".join(h.upper().ljust(widths[h]) for h in headers)]
    lines += ["  ".join(str(row[h]).ljust(widths[h]) for h in headers) for row in rows]
    return "\n".join(lines)


def smoke_results(outcome: ReleaseOutcome) -> dict[str, str]:
    """The state of every smoke-test task instance, by its target label."""
    return {
        ti.get("rendered_map_index") or str(ti["map_index"]): ti["state"]
        for ti in outcome.task_instances
        if ti["task_id"].endswith(".smoke_test")
    }


def task_timing(outcome: ReleaseOutcome) -> str:
    """How long the run's task instances took, leaving out approval gates (they wait for a person)."""
    durations = sorted(
        ti["duration"]
        for ti in outcome.task_instances
        if ti["duration"] is not None and ti["state"] != "skipped" and not ti["task_id"].endswith(".approve")
    )
    if not durations:
        return "no task ran"
    return f"{len(durations)} task instances besides gates, median {durations[len(durations) // 2]:.2f} s each"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--manifest", type=Path, default=ROOT / "include" / "manifests" / "hello.yaml")
    parser.add_argument("--version", default="1.0.0")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("botocore", "flightdeck"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    stack = Stack()
    owned = not stack.running()
    print("Starting the local AWS and Airflow…" if owned else f"Using the running stack at {stack.api_url}")
    stack.up()
    os.environ.update(stack.aws_env())  # the report reads each account through the local AWS
    try:
        plan = build_plan(load_manifest(args.manifest))
        outcome = run_release(stack, plan, args.version)
        print(f"\nRun {outcome.run_id}: {outcome.state} in {outcome.seconds:.0f} s ({task_timing(outcome)})\n")
        rows = deployment_rows(plan)
        print(format_table(rows))
        smoke = smoke_results(outcome)
        print(f"\nSmoke tests: {smoke}")
        print(f"UI: {stack.api_url}/dags/{plan.dag_id}   logs: {stack.logs_dir}")
        print(
            f"Releases page: {stack.api_url}/plugin/releases   "
            f"release ledger: {stack.airflow_home / 'flightdeck-ledger.db'} (`flightdeck status`)"
        )
        ok = (
            outcome.state == "success"
            and all(row["status"].endswith("_COMPLETE") and "ROLLBACK" not in row["status"] for row in rows)
            and all(row["version"] == args.version for row in rows)
            and len(smoke) == len(plan.targets)
            and all(state == "success" for state in smoke.values())
        )
        return 0 if ok else 1
    finally:
        if owned:
            stack.down()
            print("Stopped the local stack.")


if __name__ == "__main__":
    sys.exit(main())
