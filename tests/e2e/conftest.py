"""The local stack the end-to-end tests share: local AWS and Airflow, started once per test session."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from e2e_stacks import serve

from scripts.devstack import ROOT, Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Every example manifest's DAG on a fresh stack; tests release different applications or run in order. (The
    fault-injection modules serve their own apps on stacks of their own.)"""
    yield from serve(tmp_path_factory)


@pytest.fixture
def aws_env(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """Point boto3 at the stack's local AWS for the test; returns the stack."""
    for key, value in stack.aws_env().items():
        monkeypatch.setenv(key, value)
    return stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser test releases hello again on the shared stack: it runs after every other end-to-end test."""
    items.sort(key=lambda item: item.path.name == "test_browser_approval.py")


# Each fault the end-to-end suite recovers from: a JSON line per case (fault, end state, recovery, seconds).
FAULT_TABLE = ROOT / ".flightdeck" / "fault-recovery.jsonl"


@pytest.fixture(scope="session")
def record_fault() -> Callable[[str, str, str, float], None]:
    """Record one fault case for the table in docs/rollout.md (appended: two test processes may share the file)."""

    def record(fault: str, end_state: str, recovery: str, seconds: float) -> None:
        FAULT_TABLE.parent.mkdir(exist_ok=True)
        row = {"fault": fault, "end_state": end_state, "recovery": recovery, "seconds": round(seconds, 1)}
        with FAULT_TABLE.open("a") as table:
            table.write(json.dumps(row) + "\n")
        print(f"fault recovery: {row}")

    return record
