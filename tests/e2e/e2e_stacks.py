"""Local stacks for the end-to-end tests: a fresh local AWS and Airflow serving chosen manifests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from scripts.devstack import ROOT, Stack


def combined_manifests(directory: Path, sources: list[Path] | None = None) -> Path:
    """``directory`` filled with the ``sources`` manifests (default: every example manifest of include/manifests),
    their file paths made absolute."""
    if sources is None:
        sources = sorted((ROOT / "include" / "manifests").glob("*.yaml"))
    for source in sources:
        data = yaml.safe_load(source.read_text())
        data["template"] = str((source.parent / data["template"]).resolve())
        for test in data.get("smoke_tests", []):
            if "suite" in test:
                test["suite"] = str((source.parent / test["suite"]).resolve())
        (directory / source.name).write_text(yaml.safe_dump(data, sort_keys=False))
    return directory


def serve(tmp_path_factory: pytest.TempPathFactory, sources: list[Path] | None = None) -> Iterator[Stack]:
    """A fresh stack serving the ``sources`` manifests (default: the examples), stopped afterwards."""
    manifests = combined_manifests(Path(tmp_path_factory.mktemp("manifests")), sources)
    stack = Stack(state_dir=Path(tmp_path_factory.mktemp("stack")), manifests_dir=manifests)
    stack.up()
    try:
        yield stack
    finally:
        stack.down()
