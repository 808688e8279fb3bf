"""Fixtures of the ledger's unit tests: SQLite databases in the test's temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from flightdeck.ledger import Ledger

# The contracts are imported by the test modules of both backends: their asserts explain failures too.
pytest.register_assert_rewrite(
    "tests.unit.ledger.ledger_contract",
    "tests.unit.ledger.migration_contract",
    "tests.unit.ledger.drift_contract",
    "tests.unit.ledger.durations_contract",
)


@pytest.fixture
def empty_url(tmp_path: Path) -> URL:
    """A SQLite file that does not exist yet."""
    return URL.create("sqlite", database=str(tmp_path / "ledger.db"))


@pytest.fixture
def ledger(empty_url: URL) -> Iterator[Ledger]:
    """An empty ledger, migrated."""
    with Ledger(empty_url) as ledger:
        ledger.upgrade()
        yield ledger
