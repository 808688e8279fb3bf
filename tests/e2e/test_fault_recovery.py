"""Fault recovery end to end: the small ``fragile`` app, broken on purpose one fault at a time.

Each test makes a fault happen to a real release (real scheduler, local AWS), asserts where every target ended
(succeeded, failed, rolled back, never started: each task's state, each stack's status and version) and that
nothing was lost, then recovers the way docs/rollout.md says and records how long that took (``record_fault``).
The tests run in order on the same stacks: 1.0.0, 2.0.0, then 3.0.0 twice at once.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from e2e_stacks import serve

from flightdeck.aws.packaging import parse_template
from flightdeck.aws.session import AccountSession
from flightdeck.localaws.faults_client import fault_stats, faults, latency
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, Target, build_plan
from scripts.airflow_api import AirflowApi
from scripts.demo import MANAGER, ReleaseOutcome, deployment_rows, follow_run, run_release, trigger_release
from scripts.devstack import Stack
from scripts.seed_demo import account_owner_session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

MANIFEST = Path(__file__).resolve().parent / "apps" / "fragile" / "fragile.yaml"  # its own stack serves it
GREETING = "/flightdeck/fragile/greeting"
MARKER = "/flightdeck/fragile/dev/deployed-version"  # the template creates it: made by hand, creating it fails
EXECUTE = "dev.tolerant.deploy.execute_change_set"
SMOKE = "dev.tolerant.deploy.smoke_test"
SUMMARY = "release_summary"
# Long enough to kill a task in the middle of the call, shorter than the retry delay (10 s).
EXECUTE_LATENCY_SECONDS = 6


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own serving only this app (``make test`` runs this module beside the other e2e tests)."""
    yield from serve(tmp_path_factory, [MANIFEST])


@pytest.fixture(scope="module")
def plan() -> ReleasePlan:
    return build_plan(load_manifest(MANIFEST))


def _target(plan: ReleasePlan, digit: str) -> Target:
    return next(t for t in plan.targets if t.account_id == digit * 12)


def _owner(target: Target) -> AccountSession:
    """The account owner (not Flightdeck): who breaks things by hand, and fixes them."""
    return account_owner_session(target.account_id, target.region)


def _label(plan: ReleasePlan, ti: dict[str, Any]) -> str | None:
    """The target a task instance is for (tasks that never ran have no rendered map index): from the plan."""
    if ti["map_index"] < 0:
        return None
    environment, wave_name = ti["task_id"].split(".")[:2]
    waves = next(env.waves for env in plan.environments if env.name == environment)
    wave = next((w for w in waves if w.name == wave_name), waves[0])  # one wave: no wave name in the task id
    return wave.labels[ti["map_index"]]


def _states(plan: ReleasePlan, outcome: ReleaseOutcome) -> dict[tuple[str, str | None], str]:
    """Each task's state by task id and target label (None for tasks not per target)."""
    states = {(ti["task_id"], _label(plan, ti)): ti["state"] for ti in outcome.task_instances}
    print(f"run {outcome.run_id}: {outcome.state} in {outcome.seconds:.0f} s: {states}")
    return states


def _ti(plan: ReleasePlan, outcome: ReleaseOutcome, task_id: str, label: str | None = None) -> dict[str, Any]:
    return next(ti for ti in outcome.task_instances if ti["task_id"] == task_id and _label(plan, ti) == label)


def _stacks(plan: ReleasePlan) -> dict[str, tuple[str, str]]:
    """Each target's stack status and deployed version, by account id."""
    return {row["account"]: (row["status"], row["version"]) for row in deployment_rows(plan)}


def _summary(api: AirflowApi, plan: ReleasePlan, run_id: str) -> dict[str, tuple[list[str], ...]]:
    waves = api.xcom(plan.dag_id, run_id, SUMMARY, key="summary")
    return {f"{w['environment']}/{w['wave']}": (w["succeeded"], w["failed"], w["not_started"]) for w in waves}


def _log(api: AirflowApi, plan: ReleasePlan, outcome: ReleaseOutcome, task_id: str, label: str) -> str:
    ti = _ti(plan, outcome, task_id, label)
    return api.task_log(plan.dag_id, outcome.run_id, task_id, ti["map_index"], ti["try_number"])


def _recover(
    stack: Stack, api: AirflowApi, plan: ReleasePlan, failed: ReleaseOutcome, tasks: list[tuple[str, str]]
) -> ReleaseOutcome:
    """Clear ``(task id, target label)`` with their downstream in the failed run, and follow it to its end."""
    markers = [(task_id, _ti(plan, failed, task_id, label)["map_index"]) for task_id, label in tasks]
    api.clear_tasks(plan.dag_id, failed.run_id, markers)
    return follow_run(stack, plan.dag_id, failed.run_id)


def _greeting(target: Target) -> dict[str, Any]:
    """What the target's function answers now."""
    outputs = _owner(target).client("cloudformation").describe_stacks(StackName=target.stack_name)["Stacks"][0]
    name = next(o["OutputValue"] for o in outputs["Outputs"] if o["OutputKey"] == "FunctionName")
    answer = _owner(target).client("lambda").invoke(FunctionName=name, Payload=b"{}")
    return json.loads(answer["Payload"].read())


def test_a_template_failing_in_one_account_stops_what_the_wave_tolerance_says(
    stack: Stack, aws_env: Stack, plan: ReleasePlan, record_fault: Any
) -> None:
    a111, a222, a333, a444, a555 = (_target(plan, digit) for digit in "12345")
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    # Someone made the stack's parameter by hand in one account of each dev wave: creating the stack fails there.
    for broken in (a222, a333):
        _owner(broken).client("ssm").put_parameter(Name=MARKER, Value="made by hand", Type="String")

    failed = run_release(stack, plan, "1.0.0")

    assert failed.state == "failed"
    states = _states(plan, failed)
    # Wave "tolerant" (tolerates 1 failure): 222 failed, 111 deployed, the release went on.
    assert states[(EXECUTE, a222.label)] == "failed"
    assert states[(SMOKE, a111.label)] == "success"
    assert states[("dev.tolerant.wave_check", None)] == "success"
    # Wave "strict" (tolerates none, one target at a time): 333 failed, so 444 never started, nor did prod.
    assert states[("dev.strict.deploy.execute_change_set", a333.label)] == "failed"
    assert states[("dev.strict.deploy.execute_change_set", a444.label)] == "skipped"
    assert states[("dev.strict.wave_check", None)] == "failed"
    assert _summary(manager, plan, failed.run_id) == {
        "dev/tolerant": ([a111.label], [a222.label], []),
        "dev/strict": ([], [a333.label], [a444.label]),
        "prod/all": ([], [], [a555.label]),
    }
    log = _log(manager, plan, failed, EXECUTE, a222.label)
    assert "DeployedVersionParameter" in log
    assert "ParameterAlreadyExists" in log
    stacks = _stacks(plan)
    assert stacks[a111.account_id] == ("CREATE_COMPLETE", "1.0.0")
    assert stacks[a222.account_id][0] == stacks[a333.account_id][0] == "ROLLBACK_COMPLETE"
    assert stacks[a444.account_id][0] in {"NOT DEPLOYED", "REVIEW_IN_PROGRESS"}  # a change set, never executed
    assert stacks[a555.account_id][0] == "NOT DEPLOYED"
    # Nothing lost: the parameters made by hand are untouched.
    for broken in (a222, a333):
        kept = _owner(broken).client("ssm").get_parameter(Name=MARKER)["Parameter"]["Value"]
        assert kept == "made by hand"

    # Recover: the owners remove what they made by hand; the failed targets are cleared in the same run.
    started = time.monotonic()
    for broken in (a222, a333):
        _owner(broken).client("ssm").delete_parameter(Name=MARKER)
    recovered = _recover(
        stack,
        manager,
        plan,
        failed,
        [("dev.tolerant.prepare.package", a222.label), ("dev.strict.prepare.package", a333.label)],
    )
    seconds = time.monotonic() - started

    assert recovered.state == "success", _states(plan, recovered)
    assert set(_stacks(plan).values()) == {("CREATE_COMPLETE", "1.0.0")}
    record_fault(
        "template fails in one account of a wave (tolerance 1, and tolerance 0)",
        "tolerance 1: the other target deployed, the release went on; tolerance 0: the next target and prod never "
        "started; failed stacks ROLLBACK_COMPLETE; run failed naming each target",
        "remove the cause, clear the failed targets' prepare tasks (with downstream)",
        seconds,
    )


def _botch_hotfix(target: Target) -> None:
    """The account owner's hand-made update: adds a parameter, then one whose name is taken, so it fails."""
    cloudformation = _owner(target).client("cloudformation")
    live = cloudformation.describe_stacks(StackName=target.stack_name)["Stacks"][0]
    template = parse_template(cloudformation.get_template(StackName=target.stack_name)["TemplateBody"])
    parameter = {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "hotfix"}}
    template["Resources"]["HotfixMarker"] = {
        **parameter,
        "Properties": {**parameter["Properties"], "Name": "/flightdeck/fragile/prod/hotfix"},
    }
    template["Resources"]["HotfixGreeting"] = {  # the name is taken: creating it fails
        **parameter,
        "DependsOn": "HotfixMarker",
        "Properties": {**parameter["Properties"], "Name": GREETING},
    }
    cloudformation.update_stack(
        StackName=target.stack_name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True} for p in live["Parameters"]],
        Capabilities=["CAPABILITY_IAM"],
        Tags=live["Tags"],
    )


def _status(target: Target) -> str:
    cloudformation = _owner(target).client("cloudformation")
    return cloudformation.describe_stacks(StackName=target.stack_name)["Stacks"][0]["StackStatus"]


def test_a_failed_smoke_test_rolls_back_and_a_stuck_stack_is_refused(
    stack: Stack, aws_env: Stack, plan: ReleasePlan, record_fault: Any
) -> None:
    a111, a222, a333, a444, a555 = (_target(plan, digit) for digit in "12345")
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    endpoint = stack.aws_env()["AWS_ENDPOINT_URL"]
    # 111: someone changed the greeting in Parameter Store; 2.0.0 deploys it and its smoke test fails.
    _owner(a111).client("ssm").put_parameter(Name=GREETING, Value="Howdy", Type="String", Overwrite=True)
    # 555 (prod): a hand-made update failed, and so did its rollback.
    with faults(endpoint, [], rollback_failure="the parameter was changed outside CloudFormation"):
        _botch_hotfix(a555)
    assert _status(a555) == "UPDATE_ROLLBACK_FAILED"

    failed = run_release(stack, plan, "2.0.0")

    assert failed.state == "failed"
    states = _states(plan, failed)
    assert states[(SMOKE, a111.label)] == "failed"
    smoke = _ti(plan, failed, SMOKE, a111.label)
    rollback = manager.xcom(plan.dag_id, failed.run_id, SMOKE, smoke["map_index"], "rollback")
    assert (rollback["rolled_back_to"], rollback["verified"]) == ("1.0.0", True)
    assert states[("prod.prepare.create_change_set", a555.label)] == "failed"
    log = _log(manager, plan, failed, "prod.prepare.create_change_set", a555.label)
    assert "UPDATE_ROLLBACK_FAILED" in log
    assert "continue-update-rollback" in log
    assert _summary(manager, plan, failed.run_id) == {
        "dev/tolerant": ([a222.label], [a111.label], []),
        "dev/strict": ([a333.label, a444.label], [], []),
        "prod/all": ([], [a555.label], []),
    }
    stacks = _stacks(plan)
    # Nothing lost: 111 runs the last verified release again, with the greeting 1.0.0 read; 555 was not touched.
    assert stacks[a111.account_id] == ("UPDATE_COMPLETE", "1.0.0")
    assert _greeting(a111) == {"status": "ok", "greeting": "Hello", "version": "1.0.0"}
    assert {stacks[t.account_id] for t in (a222, a333, a444)} == {("UPDATE_COMPLETE", "2.0.0")}
    assert stacks[a555.account_id] == ("UPDATE_ROLLBACK_FAILED", "1.0.0")

    # Recover: the owners put the greeting back and continue 555's rollback; the failed targets are cleared.
    started = time.monotonic()
    _owner(a111).client("ssm").put_parameter(Name=GREETING, Value="Hello", Type="String", Overwrite=True)
    cloudformation = _owner(a555).client("cloudformation")
    cloudformation.continue_update_rollback(StackName=a555.stack_name)
    assert _status(a555) == "UPDATE_ROLLBACK_COMPLETE"
    recovered = _recover(
        stack,
        manager,
        plan,
        failed,
        [("dev.tolerant.prepare.package", a111.label), ("prod.prepare.package", a555.label)],
    )
    seconds = time.monotonic() - started

    assert recovered.state == "success", _states(plan, recovered)
    assert {version for _, version in _stacks(plan).values()} == {"2.0.0"}
    assert _greeting(a111) == {"status": "ok", "greeting": "Hello", "version": "2.0.0"}
    record_fault(
        "smoke test fails after an update",
        "target rolled back to its last verified release (1.0.0) and verified; others deployed; run failed",
        "automatic, in the smoke test task (the time: that task, rollback and verification included)",
        smoke["duration"],
    )
    record_fault(
        "stack left in UPDATE_ROLLBACK_FAILED",
        "target refused before any change set, with CloudFormation's guidance; others deployed; run failed",
        "continue-update-rollback (as the error says), then clear the target's prepare tasks",
        seconds,
    )


def _kill_executes_mid_call(api: AirflowApi, plan: ReleasePlan, run_id: str, endpoint: str) -> list[str]:
    """Kill (SIGKILL) the execute tasks running while an ExecuteChangeSet call is being answered; their labels."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if fault_stats(endpoint).get("cloudformation:ExecuteChangeSet", {}).get("calls"):
            running = [
                ti
                for ti in api.task_instances(plan.dag_id, run_id)
                if ti["task_id"] == EXECUTE and ti["state"] == "running" and ti.get("pid")
            ]
            for ti in running:
                os.kill(ti["pid"], signal.SIGKILL)
            if running:
                return [ti["rendered_map_index"] for ti in running]
        time.sleep(0.5)
    raise AssertionError("no execute task was running during an ExecuteChangeSet call")


def test_a_killed_worker_is_retried_without_executing_twice_and_a_second_run_waits(
    stack: Stack, aws_env: Stack, plan: ReleasePlan, record_fault: Any
) -> None:
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    endpoint = stack.aws_env()["AWS_ENDPOINT_URL"]
    with faults(endpoint, [latency("cloudformation:ExecuteChangeSet", EXECUTE_LATENCY_SECONDS)]):
        first = trigger_release(stack, plan, "3.0.0")
        second = trigger_release(stack, plan, "3.0.0")  # the same release, at the same time
        killed = _kill_executes_mid_call(manager, plan, first, endpoint)
        killed_at = datetime.now(UTC)
        # The second run waits (queued) until the first has finished: never two runs on one stack.
        while manager.run(plan.dag_id, first)["state"] not in ("success", "failed"):
            assert manager.run(plan.dag_id, second)["state"] == "queued"
            time.sleep(1)
        first_outcome = follow_run(stack, plan.dag_id, first)
        executed_by_first = fault_stats(endpoint)["cloudformation:ExecuteChangeSet"]["calls"]
        second_outcome = follow_run(stack, plan.dag_id, second)
        executed = fault_stats(endpoint)["cloudformation:ExecuteChangeSet"]["calls"]

    assert first_outcome.state == "success", _states(plan, first_outcome)
    assert killed
    retried = [_ti(plan, first_outcome, EXECUTE, label) for label in killed]
    # The retry resumed what the kill interrupted, and each change set was executed once, those included.
    assert {(ti["state"], ti["try_number"]) for ti in retried} == {("success", 2)}
    assert executed_by_first == len(plan.targets)
    first_run, second_run = manager.run(plan.dag_id, first), manager.run(plan.dag_id, second)
    assert _time(second_run["start_date"]) >= _time(first_run["end_date"])
    assert second_outcome.state == "success", _states(plan, second_outcome)
    assert executed == executed_by_first  # the same release again: nothing to execute
    assert set(_stacks(plan).values()) == {("UPDATE_COMPLETE", "3.0.0")}
    record_fault(
        "worker process killed in the middle of execute",
        "task retried; the retry found its change set executed and waited for the stack: executed once; run succeeded",
        "automatic (task retry)",
        (max(_time(ti["end_date"]) for ti in retried) - killed_at).total_seconds(),
    )
    record_fault(
        "two runs of the same release at once",
        "the second run queued until the first finished, then found nothing to change; both succeeded",
        "none needed (max_active_runs=1)",
        (_time(second_run["start_date"]) - _time(second_run["queued_at"])).total_seconds(),
    )


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
