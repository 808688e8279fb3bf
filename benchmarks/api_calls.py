"""CloudFormation calls per target deployment and per minute of waiting, and how late completion is noticed.

A release of the example app (12 targets in one wave by default; a warm-up release first answers the IAM gate) is
measured through a local AWS whose change sets take L and stack operations D. The local AWS counts every call it
answers (``fault_stats``); the calls while every target's execution waits are the cost of waiting. Completion in
the local AWS is when the operation began (its stack events, or the change set's creation time) plus D (or L);
the task noticed it when its trigger's event made the scheduler schedule it again (``scheduled_when``). Compared
with ``aws cloudformation deploy`` (modelled in ``benchmarks.cli_deploy``; ``--cli-loop`` runs it for real).

    .venv/bin/python -m benchmarks.api_calls [--latency 10] [--stack-seconds 60] [--cli-loop] [--write]
        [--section api-calls-long]  (another table: e.g. --latency 30 --stack-seconds 180)
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

from benchmarks.cli_deploy import CHANGE_SET_POLL_SECONDS, cli_calls_on_emulator, cli_model, run_cli_loop
from benchmarks.common import (
    RunRecorder,
    TaskTiming,
    app_manifest,
    base_parser,
    cloudformation_calls,
    dag_upstreams,
    epoch,
    grid,
    learning_release,
    manager_api,
    markdown_table,
    median,
    output,
    served_stack,
    task_timings,
    warm_up,
)
from flightdeck import naming
from flightdeck.localaws.faults_client import clear_faults, fault_stats, latency, set_faults
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, build_plan
from scripts.demo import deploy_session, follow_run

APPLICATION = "apicalls"


def wait_until_all_deferred(recorder: RunRecorder, suffix: str, count: int, timeout: float) -> list[dict[str, Any]]:
    """The run's task instances once ``count`` instances of the task ending in ``suffix`` are deferred."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tis = recorder.latest()
        if sum(ti["task_id"].endswith(suffix) and ti["state"] == "deferred" for ti in tis) == count:
            return tis
        if recorder.run.get("state") in ("success", "failed"):
            break
        time.sleep(0.5)
    raise RuntimeError(f"the {count} {suffix} tasks were never all deferred at once (is D long enough?)")


def detection_lags(
    plan: ReleasePlan, run_id: str, timings: list[TaskTiming], change_set: float, stack: float
) -> tuple[list[float], list[float]]:
    """Per target, seconds between the local AWS reporting complete and the trigger's event: change sets, stacks."""
    by_label = {(t.task_id.rsplit(".", 1)[-1], t.label): t for t in timings}
    change_set_lags, stack_lags = [], []
    for target in plan.targets:
        client = deploy_session(target).client("cloudformation")
        created = by_label.get((naming.CREATE_CHANGE_SET, target.label))
        executed = by_label.get((naming.EXECUTE_CHANGE_SET, target.label))
        name = naming.change_set_name(run_id, target.label)
        summaries = client.list_change_sets(StackName=target.stack_name)["Summaries"]
        creation = next((epoch(s["CreationTime"]) for s in summaries if s["ChangeSetName"] == name), None)
        if created and created.fired and creation:
            change_set_lags.append(created.fired - (creation + change_set))
        events = client.describe_stack_events(StackName=target.stack_name)["StackEvents"]
        began = max(epoch(e["Timestamp"]) or 0.0 for e in events)  # moto deploys at ExecuteChangeSet
        if executed and executed.fired:
            stack_lags.append(executed.fired - (began + stack))
    return change_set_lags, stack_lags


def _parser() -> argparse.ArgumentParser:
    parser = base_parser(__doc__)
    parser.add_argument("--accounts", type=int, default=3)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--latency", type=float, default=10.0, help="L: change-set seconds")
    parser.add_argument("--stack-seconds", type=float, default=60.0, help="D: stack-operation seconds")
    parser.add_argument("--cli-loop", action="store_true", help="also run the boto3 loop mimicking the AWS CLI")
    parser.add_argument("--cli-targets", type=int, default=0, help="run the loop on the first N targets (0: all)")
    parser.add_argument("--section", default="api-calls", help="the markers in docs/benchmarks.md to write between")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    targets = [target for wave in grid(args.accounts, args.regions) for target in wave]
    n, change_set, stack_seconds = len(targets), args.latency, args.stack_seconds

    with served_stack({f"{APPLICATION}.yaml": app_manifest(APPLICATION, [targets])}, keep=args.keep) as stack:
        plan = build_plan(load_manifest(stack.manifests_dir / f"{APPLICATION}.yaml"))
        warm_up(stack, plan.dag_id, plan)
        upstreams = dag_upstreams(manager_api(stack), plan.dag_id)
        endpoint = stack.aws_endpoint
        # A rule that changes nothing: the local AWS keeps per-operation counts only while a rule is set.
        set_faults(
            endpoint,
            [latency("cloudformation:*", 0)],
            change_set_seconds=change_set,
            stack_operation_seconds=stack_seconds,
        )
        learning_release(stack, plan.dag_id, plan)
        start_stats = fault_stats(endpoint)
        run_id = manager_api(stack).trigger(plan.dag_id, {"version": "2.0.0"})
        with RunRecorder(stack, plan.dag_id, run_id, interval=args.poll) as recorder:
            follower = threading.Thread(target=follow_run, args=(stack, plan.dag_id, run_id), daemon=True)
            follower.start()
            tis = wait_until_all_deferred(recorder, ".execute_change_set", n, timeout=600)
            first = min(epoch(ti["trigger"]["created_date"]) or time.time() for ti in tis if ti.get("trigger"))
            window_start, before = time.time(), fault_stats(endpoint)
            time.sleep(max(0.0, first + stack_seconds - 2 - time.time()))  # until the first operation completes
            window, during = time.time() - window_start, fault_stats(endpoint)
            run = recorder.wait(timeout=3600)
            follower.join(30)  # it returns once it sees the run finished
        after = fault_stats(endpoint)
        timings = task_timings(recorder, upstreams)
        change_set_lags, stack_lags = detection_lags(plan, run_id, timings, change_set, stack_seconds)
        cli_targets = list(plan.targets)[: args.cli_targets or None]
        cli_real = run_cli_loop(cli_targets, "3.0.0", stack_seconds) if args.cli_loop else None
        clear_faults(endpoint)

    per_release = cloudformation_calls(start_stats, after)
    waiting = cloudformation_calls(before, during)
    total, waiting_total = sum(per_release.values()), sum(waiting.values())
    per_minute = waiting_total / n / window * 60 if window > 5 else float("nan")
    model = cli_model(1, change_set, stack_seconds)
    real = ["—"] * 4
    if cli_real:
        real = [f"{sum(cli_real.calls.values()) / len(cli_targets):.1f}", "—", "—", f"{median(cli_real.lags):.1f}"]
    rows = [
        ["CloudFormation calls per target deployment", f"{total / n:.1f}", f"{model.calls_per_target:.0f}", real[0]],
        [
            "… when operations complete at once (the plain emulator)",
            "—",
            str(cli_calls_on_emulator()),
            "—",
        ],
        ["calls per target per minute of waiting", f"{per_minute:.1f}", "2", real[1]],
        [
            "change set complete → noticed (median s)",
            f"{median(change_set_lags):.1f}",
            f"{CHANGE_SET_POLL_SECONDS / 2:.1f}",
            real[2],
        ],
        ["stack operation complete → noticed (median s)", f"{median(stack_lags):.1f}", "15.0", real[3]],
    ]
    header = (
        f"{n} targets in one wave, change sets L = {change_set:g} s, stack operations D = {stack_seconds:g} s; "
        f"run {run['state']}; waiting window {window:.0f} s with all {n} executions deferred."
    )
    table = markdown_table(
        ["", "Flightdeck", "`aws cloudformation deploy` (model)", "CLI-like boto3 loop (real)"], rows
    )
    operations = markdown_table(
        ["operation", "calls per target (release)", "calls in the waiting window"],
        [[op, f"{count / n:.2f}", str(waiting.get(op, 0))] for op, count in per_release.items()],
    )
    if cli_real:
        header += f" The CLI-like loop ran over {len(cli_targets)} of the targets, one after the other."
    output(args.section, f"{header}\n\n{table}\n\n{operations}", args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
