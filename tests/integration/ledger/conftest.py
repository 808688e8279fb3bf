"""Fixtures of the ledger's PostgreSQL tests: databases of their own on the local server, dropped afterwards.

The server is ``FLIGHTDECK_TEST_POSTGRES_URL`` (default: ``postgres`` on 127.0.0.1:5432, trust authentication,
database ``test``, used only to create and drop the test databases). When it cannot be reached the tests fail:
CI has PostgreSQL, so a silent skip would hide a lost backend.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from flightdeck.ledger import Ledger, upgrade

# The contracts are imported by the test modules of both backends: their asserts explain failures too.
pytest.register_assert_rewrite(
    "tests.unit.ledger.ledger_contract",
    "tests.unit.ledger.migration_contract",
    "tests.unit.ledger.drift_contract",
    "tests.unit.ledger.durations_contract",
)

SERVER_URL = os.environ.get("FLIGHTDECK_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Engine]:
    """An autocommit engine on the server's maintenance database (CREATE and DROP DATABASE need autocommit)."""
    engine = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except exc.OperationalError as err:
        engine.dispose()
        pytest.fail(
            f"PostgreSQL is not reachable at {engine.url.render_as_string(hide_password=True)}: {err.orig}\n"
            "The ledger's integration tests need it (CI has it): start it, or point FLIGHTDECK_TEST_POSTGRES_URL "
            "at a server where this user may create databases.",
            pytrace=False,
        )
    yield engine
    engine.dispose()


@contextmanager
def scratch_database(server: Engine, purpose: str) -> Iterator[URL]:
    """A new, uniquely named database for ``purpose``, dropped afterwards (connections still open included)."""
    name = f"flightdeck_ledger_{purpose}_{uuid.uuid4().hex[:12]}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(SERVER_URL).set(database=name)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def ledger_database(postgres_server: Engine) -> Iterator[URL]:
    """One migrated database for the repository tests of this session."""
    with scratch_database(postgres_server, "contract") as url:
        upgrade(url)
        yield url


@pytest.fixture
def ledger(ledger_database: URL) -> Iterator[Ledger]:
    """An empty, migrated ledger on PostgreSQL."""
    with Ledger(ledger_database) as ledger:
        with ledger.engine.begin() as connection:
            connection.execute(
                text("TRUNCATE flightdeck_deployments, flightdeck_promotion_overrides RESTART IDENTITY CASCADE")
            )
        yield ledger


@pytest.fixture
def empty_url(postgres_server: Engine) -> Iterator[URL]:
    """A database with no table yet."""
    with scratch_database(postgres_server, "empty") as url:
        yield url
