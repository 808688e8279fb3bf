"""Critical path: a release of 12 targets in 3 waves through a local AWS whose change sets take L and executions 2L.

The ideal is waves x 3L (CloudFormation's own time, everything else free); the table gives the run's wall time
over it (median of ``--runs``), where the rest went along the critical chain of task instances, each task's
scheduler overhead from the REST API, and the same release as a loop of ``aws cloudformation deploy``.

The first release creates an IAM role per target, a flagged change that waits for an approver: a warm-up release
without faults answers it; the measured releases change only the version, so their gates pass by themselves (a
gate that still waits is answered, and its wait is left out of the wall time).

    .venv/bin/python -m benchmarks.critical_path [--latency 10] [--runs 3] [--cli-loop] [--write]
"""

from __future__ import annotations

import sys
import threading
from collections import defaultdict
from typing import Any

from benchmarks.cli_deploy import cli_model, run_cli_loop
from benchmarks.common import (
    RunRecorder,
    TaskTiming,
    app_manifest,
    awaiting_input_seconds,
    base_parser,
    critical_chain,
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
from flightdeck.localaws.faults_client import clear_faults, latency, set_faults
from flightdeck.manifest import load_manifest
from flightdeck.plan import build_plan
from scripts.demo import follow_run
from scripts.devstack import Stack

APPLICATION = "critpath"


def cloudformation_seconds(timing: TaskTiming, change_set: float, stack: float) -> float:
    """CloudFormation's own time inside a task: L for a change set, 2L for an execution, else none."""
    if timing.task_id.endswith(".create_change_set"):
        return change_set
    if timing.task_id.endswith(".execute_change_set"):
        return stack
    return 0.0


def measure_run(stack: Stack, dag_id: str, version: str, poll: float) -> tuple[dict[str, Any], RunRecorder]:
    """Trigger one release and record it; gates that wait for a person are answered as the demo does."""
    api = manager_api(stack)
    run_id = api.trigger(dag_id, {"version": version})
    recorder = RunRecorder(stack, dag_id, run_id, interval=poll)
    with recorder:
        follower = threading.Thread(target=follow_run, args=(stack, dag_id, run_id), daemon=True)
        follower.start()
        run = recorder.wait(timeout=3600)
        follower.join(30)
    return run, recorder


def chain_breakdown(chain: list[TaskTiming], run: dict[str, Any], change_set: float, stack: float) -> dict[str, float]:
    """Where the wall time went along the critical chain (seconds; the parts add up to the wall time)."""
    run_start, run_end = epoch(run["start_date"]) or 0.0, epoch(run["end_date"]) or 0.0
    parts: dict[str, float] = defaultdict(float)
    for timing in chain:
        cfn = cloudformation_seconds(timing, change_set, stack)
        parts["scheduling (upstream done → scheduled)"] += timing.schedule_delay
        parts["queueing and worker start (scheduled → running)"] += timing.queue_delay
        parts["CloudFormation itself (L or 2L)"] += cfn
        parts["waiting beyond CloudFormation (polling, triggerer)"] += timing.deferred - min(cfn, timing.deferred)
        parts["resuming (trigger event → queued again)"] += timing.resume_delay
        parts["task code in workers"] += timing.run_time - max(0.0, cfn - timing.deferred)
    parts["run start → first task, last task → run end"] = (run_end - run_start) - sum(parts.values())
    return dict(parts)


def kind(task_id: str) -> str:
    """A task id without its environment/wave group: ``prepare.package``, ``approve``…"""
    parts = task_id.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 and parts[-2] in ("prepare", "deploy") else parts[-1]


def per_task_rows(all_timings: list[list[TaskTiming]]) -> list[list[str]]:
    """Per kind of task, medians over every instance of every run."""
    by_kind: dict[str, list[TaskTiming]] = defaultdict(list)
    for timings in all_timings:
        for timing in timings:
            by_kind[kind(timing.task_id)].append(timing)
    rows = []
    for name, timings in sorted(by_kind.items(), key=lambda item: median([t.start for t in item[1]])):
        deferred = [t for t in timings if t.fired]
        rows.append(
            [
                name,
                str(len(timings)),
                f"{median([t.schedule_delay for t in timings]):.2f}",
                f"{median([t.queue_delay for t in timings]):.2f}",
                f"{median([t.run_time for t in timings]):.2f}",
                f"{median([t.deferred for t in deferred]):.2f}" if deferred else "—",
                f"{median([t.resume_delay for t in deferred]):.2f}" if deferred else "—",
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("--latency", type=float, default=10.0, help="L: change-set seconds (executions take 2L)")
    parser.add_argument("--accounts", type=int, default=3, help="accounts = waves (one wave per account)")
    parser.add_argument("--regions", type=int, default=4, help="regions per account = targets per wave")
    parser.add_argument("--runs", type=int, default=3, help="measured releases (the median is reported)")
    parser.add_argument("--call-latency", type=float, default=0.0, help="extra seconds on every CloudFormation call")
    parser.add_argument("--cli-loop", action="store_true", help="also run the boto3 loop mimicking the AWS CLI")
    args = parser.parse_args(argv)
    change_set, stack_seconds = args.latency, 2 * args.latency
    waves = grid(args.accounts, args.regions)
    targets = sum(map(len, waves))
    ideal = len(waves) * (change_set + stack_seconds)

    with served_stack({f"{APPLICATION}.yaml": app_manifest(APPLICATION, waves)}, keep=args.keep) as stack:
        plan = build_plan(load_manifest(stack.manifests_dir / f"{APPLICATION}.yaml"))
        warm_up(stack, plan.dag_id, plan)
        upstreams = dag_upstreams(manager_api(stack), plan.dag_id)
        rules = [latency("cloudformation:*", args.call_latency)] if args.call_latency else []
        set_faults(stack.aws_endpoint, rules, change_set_seconds=change_set, stack_operation_seconds=stack_seconds)
        learning_release(stack, plan.dag_id, plan)
        ratios, walls, gates, breakdowns, all_timings = [], [], [], [], []
        for number in range(1, args.runs + 1):
            run, recorder = measure_run(stack, plan.dag_id, f"2.0.{number}", args.poll)
            if run["state"] != "success":
                raise SystemExit(f"measured release {number} ended {run['state']}; logs: {stack.logs_dir}")
            gate = awaiting_input_seconds(recorder)
            wall = (epoch(run["end_date"]) or 0.0) - (epoch(run["start_date"]) or 0.0) - gate
            timings = task_timings(recorder, upstreams)
            breakdowns.append(chain_breakdown(critical_chain(timings), run, change_set, stack_seconds))
            all_timings.append(timings)
            walls.append(wall)
            gates.append(gate)
            ratios.append(wall / ideal)
            print(f"run {number}: {wall:.1f} s (gate waits {gate:.1f} s left out), {wall / ideal:.2f} x ideal")
        cli_real = None
        if args.cli_loop:
            print(f"Running the CLI-like loop over {targets} targets (polls every 5 s / 30 s)…", flush=True)
            cli_real = run_cli_loop(list(plan.targets), "3.0.0", stack_seconds)
        clear_faults(stack.aws_endpoint)

    model = cli_model(targets, change_set, stack_seconds)
    flightdeck = median(walls)
    summary_rows = [
        ["Flightdeck release (wall, median)", f"{flightdeck:.1f}", f"{median(ratios):.2f}"],
        [f"ideal: {len(waves)} waves x 3L", f"{ideal:.1f}", "1.00"],
        [f"`aws cloudformation deploy` loop, model ({targets} x (3L + 17.5 s))", f"{model.seconds:.1f}", ""],
    ]
    if cli_real:
        summary_rows.append(
            [
                f"`aws cloudformation deploy` loop, real boto3 run (lag median {median(cli_real.lags):.1f} s)",
                f"{cli_real.seconds:.1f}",
                "",
            ]
        )
    for row in summary_rows[2:]:
        row[2] = f"{float(row[1]) / ideal:.2f} ({float(row[1]) / flightdeck:.1f} x Flightdeck)"
    header = (
        f"{targets} targets in {len(waves)} waves, L = {change_set:g} s (change set L, execution 2L), "
        f"{args.runs} runs; gate waits left out: {', '.join(f'{g:.0f} s' for g in gates)}."
    )
    summary = markdown_table(["", "seconds", "/ ideal"], summary_rows)
    parts = {name: median([b.get(name, 0.0) for b in breakdowns]) for name in breakdowns[0]}
    chain = markdown_table(
        ["critical chain: where the wall time went", "seconds (median)"],
        [[name, f"{value:.1f}"] for name, value in parts.items()],
    )
    tasks = markdown_table(
        [
            "task",
            "instances",
            "upstream done → scheduled (s)",
            "scheduled → running (s)",
            "in a worker (s)",
            "deferred (s)",
            "trigger event → queued (s)",
        ],
        per_task_rows(all_timings),
    )
    output("critical-path", f"{header}\n\n{summary}\n\n{chain}\n\n{tasks}", args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
