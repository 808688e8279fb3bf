"""Where the ledger lives: the database an Airflow connection names, else a SQLite file in the Airflow home."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from flightdeck.ledger.records import LedgerError

log = logging.getLogger(__name__)

DEFAULT_CONN_ID = "flightdeck_ledger"
DEFAULT_FILE = "flightdeck-ledger.db"
# libpq options a PostgreSQL connection's extra may carry into the URL; the rest of the extra (Airflow's
# "cursor", "iam", ...) means nothing to the ledger and is left out.
POSTGRES_OPTIONS = (
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "application_name",
    "options",
    "target_session_attrs",
)


def ledger_url(conn_id: str = DEFAULT_CONN_ID) -> URL:
    """The ledger database's SQLAlchemy URL: from the Airflow connection ``conn_id``, else :func:`default_url`.

    Works wherever Airflow resolves connections: in a task (through the API server), in the scheduler, and
    elsewhere from ``AIRFLOW_CONN_*`` environment variables and the configured secrets backend. The URL's
    password is hidden when it is printed.

    :raises LedgerError: the connection is neither PostgreSQL nor SQLite.
    """
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        connection = Connection.get(conn_id)
    except AirflowNotFoundException:
        url = default_url()
        log.info("No Airflow connection %r: the release ledger is %s", conn_id, url.database)
        return url
    return connection_url(
        conn_id,
        conn_type=connection.conn_type,
        host=connection.host,
        schema=connection.schema,
        login=connection.login,
        password=connection.password,
        port=connection.port,
        extra=connection.extra,
    )


def default_url(airflow_home: str | None = None) -> URL:
    """``sqlite:///<AIRFLOW_HOME>/flightdeck-ledger.db`` (``AIRFLOW_HOME`` defaults to ``~/airflow``)."""
    home = airflow_home or os.environ.get("AIRFLOW_HOME") or "~/airflow"
    return URL.create("sqlite", database=str(Path(home).expanduser() / DEFAULT_FILE))


def connection_url(
    conn_id: str,
    *,
    conn_type: str | None,
    host: str | None = None,
    schema: str | None = None,
    login: str | None = None,
    password: str | None = None,
    port: int | None = None,
    extra: str | Mapping[str, Any] | None = None,
) -> URL:
    """The SQLAlchemy URL of an Airflow connection's fields.

    ``postgres`` (a ``postgresql://`` URI) becomes ``postgresql+psycopg2://login:password@host:port/schema`` with
    the libpq options of :data:`POSTGRES_OPTIONS` found in the extra; ``sqlite`` names its file in the host (as
    Airflow's SQLite connections do) or, from a ``sqlite:////path/file.db`` URI, in the schema.
    """
    if conn_type == "postgres":
        options = _extra(conn_id, extra)
        return URL.create(
            "postgresql+psycopg2",
            username=login or None,
            password=password or None,
            host=host or None,
            port=port or None,
            database=schema or None,
            query={key: str(options[key]) for key in POSTGRES_OPTIONS if key in options},
        )
    if conn_type == "sqlite":
        path = host or schema
        if not path:
            raise LedgerError(f"Airflow connection {conn_id!r} is SQLite but names no file (put its path in host)")
        return URL.create("sqlite", database=path)
    raise LedgerError(
        f"Airflow connection {conn_id!r} is of type {conn_type!r}: the release ledger needs a PostgreSQL "
        "(postgres) or SQLite (sqlite) database"
    )


def _extra(conn_id: str, extra: str | Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not extra:
        return {}
    if isinstance(extra, Mapping):
        return extra
    try:
        parsed = json.loads(extra)
    except json.JSONDecodeError as err:
        raise LedgerError(f"The extra of Airflow connection {conn_id!r} is not JSON: {err}") from err
    if not isinstance(parsed, dict):
        raise LedgerError(f"The extra of Airflow connection {conn_id!r} is not a JSON object")
    return parsed
