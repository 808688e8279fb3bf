"""Manifest parsing and DAG building at fleet scale: time, serialised size and memory versus targets.

Run `make bench`: generated manifests (the example app with prod spread over N account/regions) are read from
YAML, validated, planned and built into DAGs in-process (after imports), as the dag-processor does every 30 s.
The table is written into docs/benchmarks.md.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "include" / "manifests" / "hello.yaml"
REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"]
SIZES = (10, 100, 1000, 5000)


def manifest_text(targets: int) -> str:
    """The example manifest with its prod environment spread over ``targets`` account/regions."""
    data = yaml.safe_load(MANIFEST.read_text())
    data["template"] = str((MANIFEST.parent / data["template"]).resolve())
    for test in data.get("smoke_tests", []):
        if "suite" in test:  # suite files are relative to the manifest too
            test["suite"] = str((MANIFEST.parent / test["suite"]).resolve())
    accounts = -(-targets // len(REGIONS))
    data["environments"][-1].pop("waves", None)  # one wave of every target
    data["environments"][-1]["accounts"] = [
        {"id": f"{400000000000 + i:012d}", "regions": REGIONS[: min(len(REGIONS), targets - i * len(REGIONS))]}
        for i in range(accounts)
    ]
    return yaml.safe_dump(data, sort_keys=False)


def write_manifest(directory: Path, targets: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "hello.yaml"
    path.write_text(manifest_text(targets))
    return path


def measure(directory: Path, repeat: int = 3) -> dict[str, float]:
    from airflow.serialization.serialized_objects import DagSerialization

    from flightdeck.pipeline import load_release_dags

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        dags = load_release_dags(directory)
        times.append(time.perf_counter() - started)
    # The loader builds what the dag-processor gets: the release DAG and, with a refresh schedule, the refresh DAG.
    dag = dags["release__hello"]
    started = time.perf_counter()
    serialised = json.dumps(DagSerialization.to_dict(dag))
    serialise_time = time.perf_counter() - started
    tracemalloc.start()
    load_release_dags(directory)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "tasks": len(dag.task_dict),
        "build_ms": statistics.median(times) * 1000,
        "serialise_ms": serialise_time * 1000,
        "serialised_kib": len(serialised) / 1024,
        "peak_mib": peak / 2**20,
    }


def main() -> int:
    import flightdeck.pipeline  # noqa: F401  (imports are not part of the measurement)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            directory = Path(tmp) / str(size)
            write_manifest(directory, size)
            rows.append({"targets": size + 2, **measure(directory)})  # + dev and staging
    lines = [
        "| targets | tasks in DAG | read + validate + plan + build (median ms) | serialise (ms) "
        "| serialised DAG (KiB) | bytes per target | peak memory (MiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    base = rows[0]
    for row in rows:
        per_target = (
            (row["serialised_kib"] - base["serialised_kib"]) * 1024 / (row["targets"] - base["targets"])
            if row is not base
            else 0
        )
        lines.append(
            f"| {row['targets']} | {row['tasks']} | {row['build_ms']:.0f} | {row['serialise_ms']:.0f} "
            f"| {row['serialised_kib']:.0f} | {per_target:.0f} | {row['peak_mib']:.1f} |"
        )
    table = "\n".join(lines)
    print(table)
    write_section("parse", table)
    return 0


def write_section(name: str, text: str) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` in docs/benchmarks.md."""
    doc = ROOT / "docs" / "benchmarks.md"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    before, rest = doc.read_text().split(start, 1)
    _, after = rest.split(end, 1)
    doc.write_text(f"{before}{start}\n{text}\n{end}{after}")


if __name__ == "__main__":
    sys.exit(main())
