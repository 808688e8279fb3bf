"""The local stack the end-to-end tests share: local AWS and Airflow, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from scripts.devstack import ROOT, Stack

# The suite's own manifests (the fault-injection release), served next to the examples of include/manifests.
E2E_MANIFESTS = Path(__file__).resolve().parent / "manifests"


def combined_manifests(directory: Path) -> Path:
    """``directory`` filled with every example manifest and the suite's own, their file paths made absolute."""
    for source in [*sorted((ROOT / "include" / "manifests").glob("*.yaml")), *sorted(E2E_MANIFESTS.glob("*.yaml"))]:
        data = yaml.safe_load(source.read_text())
        data["template"] = str((source.parent / data["template"]).resolve())
        for test in data.get("smoke_tests", []):
            if "suite" in test:
                test["suite"] = str((source.parent / test["suite"]).resolve())
        (directory / source.name).write_text(yaml.safe_dump(data, sort_keys=False))
    return directory


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Every example manifest's DAG, and the suite's own, on a fresh stack; tests release different applications
    or run in order."""
    manifests = combined_manifests(Path(tmp_path_factory.mktemp("manifests")))
    stack = Stack(state_dir=Path(tmp_path_factory.mktemp("stack")), manifests_dir=manifests)
    stack.up()
    try:
        yield stack
    finally:
        stack.down()


@pytest.fixture
def aws_env(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """Point boto3 at the stack's local AWS for the test; returns the stack."""
    for key, value in stack.aws_env().items():
        monkeypatch.setenv(key, value)
    return stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser test releases hello again on the shared stack: it runs after every other end-to-end test."""
    items.sort(key=lambda item: item.path.name == "test_browser_approval.py")
