"""Worker slots held while 50 targets wait on a slow CloudFormation (goal: none).

A first release of the example app to 50 targets (5 accounts x 10 regions, one wave) through a local AWS whose
change sets take ``--change-set-seconds`` and stack operations ``--stack-seconds``. Every second the run's task
instances are read from the REST API: how many run (hold a LocalExecutor slot), are queued for one, or wait
deferred (in the triggerer) or for a person (the gate: the first release creates IAM roles, a flagged change; it
is answered after it settles, as the demo does). The table gives, for each waiting phase, the slots held.

    .venv/bin/python -m benchmarks.slots [--accounts 5 --regions 10] [--stack-seconds 60] [--write]
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from benchmarks.common import (
    RunRecorder,
    Sample,
    app_manifest,
    base_parser,
    grid,
    manager_api,
    markdown_table,
    median,
    output,
    served_stack,
)
from flightdeck.localaws.faults_client import set_faults
from flightdeck.manifest import load_manifest
from flightdeck.plan import build_plan
from scripts.demo import follow_run

APPLICATION = "slots"


def _count(sample: Sample, suffix: str) -> int:
    return sum(count for task_id, count in sample.waiting.items() if task_id.endswith(suffix))


def phase_row(name: str, samples: list[Sample], interval: float) -> list[str]:
    """Slots held over the samples of one phase: running (max, median), queued (max), waiting (median)."""
    if not samples:
        return [name, "0", "—", "—", "—", "—"]
    running = [s.states.get("running", 0) for s in samples]
    queued = [s.states.get("queued", 0) for s in samples]
    waiting = [s.states.get("deferred", 0) + s.states.get("awaiting_input", 0) for s in samples]
    return [
        name,
        f"{len(samples) * interval:.0f}",
        f"{median(waiting):.0f}",
        str(max(running)),
        f"{median(running):.0f}",
        str(max(queued)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("--accounts", type=int, default=5)
    parser.add_argument("--regions", type=int, default=10)
    parser.add_argument("--change-set-seconds", type=float, default=60.0)
    parser.add_argument("--stack-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    targets = [target for wave in grid(args.accounts, args.regions) for target in wave]
    n = len(targets)

    with served_stack({f"{APPLICATION}.yaml": app_manifest(APPLICATION, [targets])}, keep=args.keep) as stack:
        plan = build_plan(load_manifest(stack.manifests_dir / f"{APPLICATION}.yaml"))
        api = manager_api(stack)
        api.wait_for_dag(plan.dag_id)
        api.unpause(plan.dag_id)
        set_faults(
            stack.aws_endpoint,
            change_set_seconds=args.change_set_seconds,
            stack_operation_seconds=args.stack_seconds,
        )
        run_id = api.trigger(plan.dag_id, {"version": "1.0.0"})
        with RunRecorder(stack, plan.dag_id, run_id, interval=args.poll) as recorder:
            follower = threading.Thread(target=follow_run, args=(stack, plan.dag_id, run_id), daemon=True)
            follower.start()
            run = recorder.wait(timeout=3600)
            follower.join(30)  # it returns once it sees the run finished
        if run["state"] != "success":
            print(f"warning: the release ended {run['state']} (logs: {stack.logs_dir})", file=sys.stderr)

    samples = recorder.samples
    phases: list[tuple[str, Callable[[Sample], bool]]] = [
        (f"all {n} change sets being created (deferred)", lambda s: _count(s, ".create_change_set") == n),
        ("the gate waits for a person", lambda s: s.states.get("awaiting_input", 0) > 0),
        (f"all {n} stack operations running (deferred)", lambda s: _count(s, ".execute_change_set") == n),
        ("any target waiting on CloudFormation", lambda s: _count(s, "_change_set") > 0),
    ]
    rows = [phase_row(name, [s for s in samples if keep(s)], args.poll) for name, keep in phases]
    rows.append(phase_row("whole run", samples, args.poll))
    held = sum(s.states.get("running", 0) for s in samples) * args.poll
    poke = n * (args.change_set_seconds + args.stack_seconds)
    header = (
        f"{n} targets, change sets {args.change_set_seconds:g} s, stack operations {args.stack_seconds:g} s, "
        f"parallelism 8 (LocalExecutor); run {run['state']}. Slot-seconds held over the whole run: {held:.0f} "
        f"(sensors in poke mode would hold at least {poke:.0f} for the waits alone)."
    )
    table = markdown_table(
        ["phase", "seconds", "waiting (median)", "running (max)", "running (median)", "queued (max)"], rows
    )
    output("slots", f"{header}\n\n{table}", args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
