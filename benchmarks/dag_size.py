"""How the release DAG's build time and serialised size grow with the number of targets.

Run: `make bench` (writes the table into docs/benchmarks.md).
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import yaml

from flightdeck.manifest import load_manifest
from flightdeck.manifest.models import Manifest
from flightdeck.pipeline import build_release_dag
from flightdeck.plan import build_plan

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "include" / "manifests" / "hello.yaml"
REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"]


def manifest_with(targets: int) -> Manifest:
    """The example manifest with its prod environment spread over ``targets`` account/regions."""
    data = yaml.safe_load(MANIFEST.read_text())
    prod = data["environments"][-1]
    accounts = -(-targets // len(REGIONS))
    prod["accounts"] = [
        {
            "id": f"{400000000000 + i:012d}",
            "regions": REGIONS[: min(len(REGIONS), targets - i * len(REGIONS))],
        }
        for i in range(accounts)
    ]
    load_manifest(MANIFEST)  # validates the file itself once
    return Manifest.from_data(copy.deepcopy(data), source=MANIFEST)


def measure(targets: int, repeat: int = 5) -> dict[str, float]:
    from airflow.serialization.serialized_objects import DagSerialization

    plan = build_plan(manifest_with(targets))
    build_times, sizes = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        dag = build_release_dag(plan)
        serialised = json.dumps(DagSerialization.to_dict(dag))
        build_times.append(time.perf_counter() - started)
        sizes.append(len(serialised))
    tracemalloc.start()
    build_release_dag(plan)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "targets": len(plan.targets),
        "tasks": len(dag.task_dict),
        "build_ms": statistics.median(build_times) * 1000,
        "serialised_kib": sizes[0] / 1024,
        "peak_kib": peak / 1024,
    }


def main() -> int:
    rows = [measure(n) for n in (4, 10, 100, 1000)]
    header = (
        "| targets (all) | tasks in DAG | build + serialise (median ms) | serialised DAG (KiB) "
        "| peak memory of build (KiB) |"
    )
    lines = [header, "|---|---|---|---|---|"]
    lines += [
        f"| {r['targets']} | {r['tasks']} | {r['build_ms']:.0f} | {r['serialised_kib']:.0f} | {r['peak_kib']:.0f} |"
        for r in rows
    ]
    table = "\n".join(lines)
    print(table)
    write_section("dag_size", table)
    return 0


def write_section(name: str, text: str) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` in docs/benchmarks.md."""
    doc = ROOT / "docs" / "benchmarks.md"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    content = doc.read_text()
    before, rest = content.split(start, 1)
    _, after = rest.split(end, 1)
    doc.write_text(f"{before}{start}\n{text}\n{end}{after}")


if __name__ == "__main__":
    sys.exit(main())
