"""When the ledger's database cannot be used: errors that say which database and whether a retry may help."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from flightdeck.errors import TransientError
from flightdeck.ledger import Ledger, LedgerError, upgrade


def closed_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


def test_an_unreachable_database_is_transient_and_its_password_stays_hidden() -> None:
    url = f"postgresql+psycopg2://ledger:s3cret@127.0.0.1:{closed_port()}/ledger?connect_timeout=2"

    with (
        Ledger(url) as ledger,
        pytest.raises(TransientError, match=r"Cannot read the history in the ledger at") as caught,
    ):
        ledger.history("hello")

    assert "s3cret" not in str(caught.value)
    assert "ledger:***@127.0.0.1" in str(caught.value)


@pytest.mark.parametrize("url", ["mysql://root@db/ledger", "oracle+oracledb://db/ledger"])
def test_only_sqlite_and_postgresql_are_supported(url: str) -> None:
    with pytest.raises(LedgerError, match="runs on SQLite or PostgreSQL"):
        Ledger(url)
    with pytest.raises(LedgerError, match="runs on SQLite or PostgreSQL"):
        upgrade(url)


def test_a_url_that_is_not_one_is_refused() -> None:
    with pytest.raises(LedgerError, match="Not a database URL"):
        Ledger("ledger.db")


def test_a_sqlite_ledger_in_memory_can_be_migrated_and_used() -> None:
    with Ledger("sqlite://") as ledger:
        ledger.upgrade()
        # An in-memory database lives in one connection: SQLAlchemy keeps one per thread for it.
        assert ledger.history("hello") == ()


def test_the_ledger_leaves_a_file_only_where_its_url_says(tmp_path: Path) -> None:
    with Ledger(f"sqlite:///{tmp_path}/ledger.db") as ledger:
        ledger.upgrade()

    assert sorted(path.name for path in tmp_path.iterdir()) == ["ledger.db"]
