"""Flightdeck's DAG build against dag-factory 1.1's for the same release shape, in the same process and run.

For 10 / 100 / 1,000 / 5,000 prod targets (plus dev and staging: ``benchmarks.parse``'s manifests), Flightdeck
reads, validates, plans and builds its DAG; dag-factory reads a YAML file describing the same release as a user of
it would write it (a task group per environment, in order; per target package → create_change_set → approve →
execute_change_set → smoke_test, EmptyOperators so only building is measured) and builds its DAG. Reported: the
median build times and their ratio, serialised sizes and peak memory (tracemalloc) of one build.

    .venv/bin/python -m benchmarks.parse_dagfactory [--sizes 10,100,1000,5000] [--repeat 3] [--write]

dag-factory is the benchmark's own dependency (benchmarks/requirements.txt, installed by `make bench` outside the venv);
its run-time telemetry is switched off here.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import markdown_table, output
from benchmarks.parse import SIZES, manifest_text

STEPS = ("package", "create_change_set", "approve", "execute_change_set", "smoke_test")
OPERATOR = "airflow.providers.standard.operators.empty.EmptyOperator"
DAG_ID = "release__hello_dagfactory"


def require_dagfactory() -> Any:
    """The ``dagfactory`` module, or exit saying how to install it."""
    os.environ.setdefault("DO_NOT_TRACK", "1")  # dag-factory's telemetry (Scarf), sent from its listener plugin
    os.environ.setdefault("AIRFLOW__DAG_FACTORY__ENABLE_TELEMETRY", "False")
    try:
        import dagfactory
    except ImportError:
        raise SystemExit(
            "dag-factory is not importable: this benchmark compares against dag-factory 1.1.\n"
            "Run it through `make bench`, which installs benchmarks/requirements.txt into .flightdeck/bench-deps "
            "(never into the venv: dag-factory brings an Airflow plugin) and puts that folder on PYTHONPATH."
        ) from None
    if not dagfactory.__version__.startswith("1.1."):
        print(f"warning: dag-factory {dagfactory.__version__} installed, the reference is 1.1", file=sys.stderr)
    return dagfactory


def dagfactory_config(manifest: Path) -> dict[str, Any]:
    """The dag-factory YAML document for the release ``manifest`` plans: one DAG, a task group per environment."""
    from flightdeck.manifest import load_manifest
    from flightdeck.plan import build_plan

    plan = build_plan(load_manifest(manifest))
    groups: dict[str, Any] = {}
    tasks: list[dict[str, Any]] = []
    previous = None
    for environment in plan.environments:
        groups[environment.name] = {"tooltip": f"release to {environment.name}"}
        if previous:
            groups[environment.name]["dependencies"] = [previous]
        previous = environment.name
        for target in environment.targets:
            slug = re.sub(r"[^A-Za-z0-9_]", "_", target.label)
            for number, step in enumerate(STEPS):
                task: dict[str, Any] = {
                    "task_id": f"{slug}__{step}",
                    "operator": OPERATOR,
                    "task_group_name": environment.name,
                }
                if number:
                    task["dependencies"] = [f"{slug}__{STEPS[number - 1]}"]
                tasks.append(task)
    dag = {
        "default_args": {"owner": "release-manager", "start_date": "2024-01-01", "retries": 2},
        "schedule": None,
        "catchup": False,
        "params": {"version": "0.0.0"},
        "task_groups": groups,
        "tasks": tasks,
    }
    return {DAG_ID: dag}


def write_release_manifest(directory: Path, targets: int) -> Path:
    """``benchmarks.parse``'s manifest without its ``refresh`` (which adds a second DAG): the release DAG only."""
    data = yaml.safe_load(manifest_text(targets))
    data.pop("refresh", None)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "hello.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def measure_flightdeck(directory: Path, repeat: int) -> dict[str, float]:
    """Flightdeck: what the loader does on every parse (read, validate, plan, build), as ``benchmarks.parse``."""
    from airflow.serialization.serialized_objects import DagSerialization

    from flightdeck.pipeline import load_release_dags

    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        dags = load_release_dags(directory)
        times.append(time.perf_counter() - started)
    [dag] = dags.values()
    tasks = len(dag.task_dict)
    serialised = json.dumps(DagSerialization.to_dict(dag))
    del dag, dags
    gc.collect()
    tracemalloc.start()
    load_release_dags(directory)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "build_ms": statistics.median(times) * 1000,
        "serialised_kib": len(serialised) / 1024,
        "peak_mib": peak / 2**20,
        "tasks": tasks,
    }


def measure_dagfactory(config: Path, repeat: int) -> dict[str, float]:
    """dag-factory: read ``config`` and build its DAG (median of ``repeat``), serialise it, peak memory of one."""
    from airflow.serialization.serialized_objects import DagSerialization
    from dagfactory import load_yaml_dags

    def load() -> Any:
        namespace: dict[str, Any] = {}
        load_yaml_dags(globals_dict=namespace, config_filepath=str(config), defaults_config_path=str(config.parent))
        return namespace[DAG_ID]

    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        dag = load()
        times.append(time.perf_counter() - started)
    tasks = len(dag.task_dict)
    serialised = json.dumps(DagSerialization.to_dict(dag))
    del dag
    gc.collect()
    tracemalloc.start()
    load()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "tasks": tasks,
        "build_ms": statistics.median(times) * 1000,
        "serialised_kib": len(serialised) / 1024,
        "peak_mib": peak / 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="prod targets, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="builds per size (the median is reported)")
    parser.add_argument("--write", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args(argv)
    require_dagfactory()
    import flightdeck.pipeline  # noqa: F401  (imports are not part of the measurement)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            directory = Path(tmp) / str(size)
            manifest = write_release_manifest(directory, size)
            ours = measure_flightdeck(directory, args.repeat)
            config = Path(tmp) / f"dagfactory-{size}" / "release.yml"
            config.parent.mkdir()
            config.write_text(yaml.safe_dump(dagfactory_config(manifest), sort_keys=False))
            theirs = measure_dagfactory(config, args.repeat)
            print(f"{size + 2} targets: Flightdeck {ours['build_ms']:.0f} ms, dag-factory {theirs['build_ms']:.0f} ms")
            rows.append(
                [
                    size + 2,
                    f"{ours['tasks']} / {theirs['tasks']}",
                    f"{ours['build_ms']:.0f}",
                    f"{theirs['build_ms']:.0f}",
                    f"{theirs['build_ms'] / ours['build_ms']:.1f}",
                    f"{ours['serialised_kib']:.0f} / {theirs['serialised_kib']:.0f}",
                    f"{ours['peak_mib']:.1f} / {theirs['peak_mib']:.1f}",
                ]
            )
    table = markdown_table(
        [
            "targets",
            "tasks in DAG (Flightdeck / dag-factory)",
            "Flightdeck build (median ms)",
            "dag-factory build (median ms)",
            "dag-factory / Flightdeck",
            "serialised DAG KiB (Flightdeck / dag-factory)",
            "peak memory MiB (Flightdeck / dag-factory)",
        ],
        rows,
    )
    output("parse-dagfactory", table, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
