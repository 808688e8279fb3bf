"""The ledger's repository contract and migrations on PostgreSQL."""

from __future__ import annotations

import pytest
from tests.unit.ledger.drift_contract import DriftContract
from tests.unit.ledger.durations_contract import DurationsContract
from tests.unit.ledger.ledger_contract import LedgerContract
from tests.unit.ledger.lookup_contract import LookupContract
from tests.unit.ledger.migration_contract import MigrationContract

pytestmark = pytest.mark.integration


class TestPostgresqlDrift(DriftContract):
    """Refresh attempts and drift on PostgreSQL."""


class TestPostgresqlDurations(DurationsContract):
    """Change set and stack operation durations on PostgreSQL."""


class TestPostgresqlLedger(LedgerContract):
    """The repository on PostgreSQL."""


class TestPostgresqlLookups(LookupContract):
    """The tasks' lookups on PostgreSQL."""


class TestPostgresqlMigrations(MigrationContract):
    """The migrations on PostgreSQL, in a database of their own per test."""
