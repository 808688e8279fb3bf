"""Shared fixtures: the local AWS emulator, started once per test session on a free loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Airflow (imported by the DAG builder's tests) keeps its config and database out of the user's home.
os.environ.setdefault("AIRFLOW_HOME", str(Path(__file__).resolve().parent.parent / ".flightdeck" / "test-airflow"))

# Tests never reach real AWS: fake credentials, and every client pointed at the emulator by its fixture.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture(scope="session")
def local_aws_server() -> Iterator[object]:
    """The local AWS emulator with Flightdeck's fidelity fixes, as a separate process."""
    from flightdeck.localaws.server import LocalAws

    with LocalAws() as server:
        yield server


@pytest.fixture
def local_aws(local_aws_server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A freshly reset emulator; ``AWS_ENDPOINT_URL`` points boto3 at it. Yields the endpoint URL."""
    local_aws_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_aws_server.endpoint_url)
    return local_aws_server.endpoint_url


@pytest.fixture
def task_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The release ledger tasks write to, in a SQLite file of the test's own (migrated); yields the Ledger."""
    from flightdeck.ledger import Ledger
    from flightdeck.operators import recording

    ledger = Ledger(f"sqlite:///{tmp_path / 'flightdeck-ledger.db'}")
    ledger.upgrade()
    monkeypatch.setitem(recording._ledgers, "flightdeck_ledger", ledger)  # what task_ledger() hands every task
    yield ledger
    ledger.close()
