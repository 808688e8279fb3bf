"""Fixtures of the Releases page's unit tests: a SQLite ledger in the test's directory holding the sample records,
and the app mounted as the api-server mounts it, with a stand-in for Airflow's auth."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL
from web_samples import client_for, seed

from flightdeck.ledger import Ledger


@pytest.fixture
def ledger_url(tmp_path: Path) -> URL:
    """A migrated ledger holding :func:`seed`'s attempts."""
    url = URL.create("sqlite", database=str(tmp_path / "ledger.db"))
    with Ledger(url) as ledger:
        ledger.upgrade()
        seed(ledger)
    return url


@pytest.fixture
def client(ledger_url: URL) -> TestClient:
    return client_for(ledger_url)
