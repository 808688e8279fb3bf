"""Where the ledger lives: an Airflow connection's database, else a SQLite file in the Airflow home."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightdeck.ledger import LedgerError, default_url, ledger_url
from flightdeck.ledger.connection import connection_url


def test_the_default_is_a_sqlite_file_in_the_airflow_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))

    url = default_url()

    assert url.render_as_string() == f"sqlite:///{tmp_path}/flightdeck-ledger.db"


def test_without_an_airflow_home_the_default_is_in_home_airflow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_HOME")

    assert default_url().database == str(Path.home() / "airflow" / "flightdeck-ledger.db")


def test_an_unknown_connection_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.delenv("AIRFLOW_CONN_FLIGHTDECK_LEDGER", raising=False)

    assert ledger_url() == default_url()


def test_a_postgresql_connection_uri_becomes_a_psycopg2_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FLIGHTDECK_LEDGER", "postgresql://postgres@127.0.0.1:5432/test")

    assert ledger_url().render_as_string() == "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def test_another_connection_id_is_read_and_its_password_is_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_RELEASES_DB", "postgresql://flight%40deck:p%40ss%2Fw0rd@db.internal:6543/releases?sslmode=require"
    )

    url = ledger_url("releases_db")

    assert (url.username, url.password, url.host, url.port, url.database) == (
        "flight@deck",
        "p@ss/w0rd",
        "db.internal",
        6543,
        "releases",
    )
    assert dict(url.query) == {"sslmode": "require"}
    assert "p@ss" not in str(url)
    assert "p%40ss" not in str(url)


def test_a_sqlite_connection_uri_names_its_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FLIGHTDECK_LEDGER", "sqlite:////var/lib/flightdeck/ledger.db")

    assert ledger_url().render_as_string() == "sqlite:////var/lib/flightdeck/ledger.db"


def test_a_sqlite_connection_may_name_its_file_in_the_host() -> None:
    url = connection_url("ledger", conn_type="sqlite", host="/data/ledger.db")

    assert url.render_as_string() == "sqlite:////data/ledger.db"


def test_only_libpq_options_of_the_extra_reach_the_url() -> None:
    url = connection_url(
        "ledger",
        conn_type="postgres",
        host="db",
        schema="flightdeck",
        login="deployer",
        extra='{"sslmode": "verify-full", "connect_timeout": 5, "cursor": "realdictcursor", "iam": true}',
    )

    assert url.render_as_string() == (
        "postgresql+psycopg2://deployer@db/flightdeck?connect_timeout=5&sslmode=verify-full"
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"conn_type": "mysql", "host": "db"}, "is of type 'mysql': the release ledger needs a PostgreSQL"),
        ({"conn_type": "sqlite"}, "names no file"),
        ({"conn_type": "postgres", "extra": "{not json"}, "is not JSON"),
        ({"conn_type": "postgres", "extra": "[1]"}, "is not a JSON object"),
    ],
    ids=["mysql", "sqlite-without-file", "extra-not-json", "extra-not-object"],
)
def test_a_connection_the_ledger_cannot_use_is_refused(fields: dict[str, str], message: str) -> None:
    with pytest.raises(LedgerError, match=message):
        connection_url("ledger", **fields)
