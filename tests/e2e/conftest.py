"""The local stack the end-to-end tests share: local AWS and Airflow, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.devstack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Every example manifest's DAG on a fresh stack; tests release different applications or run in order."""
    stack = Stack(state_dir=Path(tmp_path_factory.mktemp("stack")))
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
