"""The ledger's repository contract and migrations on SQLite, and a ledger on an engine it does not own."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from tests.unit.ledger.drift_contract import DriftContract
from tests.unit.ledger.durations_contract import DurationsContract
from tests.unit.ledger.ledger_contract import LedgerContract, target
from tests.unit.ledger.lookup_contract import LookupContract
from tests.unit.ledger.migration_contract import MigrationContract

from flightdeck.ledger import Ledger


class TestSqliteDrift(DriftContract):
    """Refresh attempts and drift on a SQLite file."""


class TestSqliteDurations(DurationsContract):
    """Change set and stack operation durations on a SQLite file."""


class TestSqliteLedger(LedgerContract):
    """The repository on a SQLite file."""


class TestSqliteLookups(LookupContract):
    """The tasks' lookups on a SQLite file."""


class TestSqliteMigrations(MigrationContract):
    """The migrations on a SQLite file."""


def test_a_ledger_on_someone_elses_engine_leaves_it_open(empty_url: URL) -> None:
    engine = create_engine(empty_url)
    try:
        with Ledger.from_engine(engine) as ledger:
            ledger.upgrade()
            attempt_id = ledger.start_attempt(**target())

        with engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM flightdeck_deployments")).scalar_one() == attempt_id
    finally:
        engine.dispose()
