"""The release ledger's tables (SQLAlchemy Core); the migrations in ``migrations/versions`` create exactly these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.types import TypeDecorator

from flightdeck.ledger.records import AttemptKind, DriftStatus, LedgerError, Outcome

# Every table of the ledger starts with this, so it can share a database with Airflow's metadata.
TABLE_PREFIX = "flightdeck_"
VERSION_TABLE = "flightdeck_alembic_version"
BACKENDS = ("postgresql", "sqlite")  # the databases the migrations and the queries are tested on

metadata = MetaData(
    naming_convention={
        "uq": "uq_%(table_name)s_%(constraint_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend: naive datetimes are refused, results come back in UTC.

    PostgreSQL stores ``timestamp with time zone``; SQLite has no time zones, so the UTC time is stored without one
    and UTC is put back when it is read (stored that way, SQLite's text timestamps also sort in time order).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise LedgerError(f"Timestamp {value.isoformat()} has no time zone: pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _one_of(column: str, values: type[Outcome] | type[AttemptKind] | type[DriftStatus]) -> str:
    return f"{column} IN ({', '.join(repr(member.value) for member in values)})"


deployments = Table(
    "flightdeck_deployments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application", String(128), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("stack_name", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("version", String(128), nullable=False),
    Column("dag_id", String(250), nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("tries", Integer, nullable=False),
    Column("artifact_digest", String(128)),
    Column("template_hash", String(128)),
    Column("parameters_hash", String(128)),
    Column("parameter_versions", JSON, nullable=False),
    Column("change_set_id", String(2048)),
    Column("triggered_by", String(256)),
    Column("approved_by", String(256)),
    Column("approved_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("message", Text),
    Column("rollback_of", Integer, ForeignKey("flightdeck_deployments.id")),
    Column("rolled_back_to_version", String(128)),
    # A refresh's drift report: the stack's drift status and its drifted resources (paths and kinds, no values).
    Column("drift_status", String(16)),
    Column("drifted_resources", JSON),
    # Seconds CloudFormation took to create the change set and to run the stack operation, as the triggers observed
    # them (the next attempt's triggers poll near the expected end).
    Column("change_set_seconds", Float),
    Column("operation_seconds", Float),
    # The idempotency key: one attempt per run, target and kind (a retried or cleared task finds its attempt).
    UniqueConstraint("dag_id", "run_id", "environment", "account_id", "region", "kind", name="attempt"),
    CheckConstraint(_one_of("outcome", Outcome), name="outcome"),
    CheckConstraint(_one_of("kind", AttemptKind), name="kind"),
    CheckConstraint(f"drift_status IS NULL OR {_one_of('drift_status', DriftStatus)}", name="drift_status"),
    # The matrix (newest per target) and a target's history.
    Index("ix_flightdeck_deployments_target", "application", "environment", "account_id", "region", "started_at"),
    # The promotion rule: did this version, with this digest, succeed in that environment?
    Index("ix_flightdeck_deployments_release", "application", "environment", "version", "artifact_digest"),
)

promotion_overrides = Table(
    "flightdeck_promotion_overrides",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application", String(128), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("version", String(128), nullable=False),
    Column("artifact_digest", String(128), nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("overridden_by", String(256), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_flightdeck_promotion_overrides_release", "application", "environment", "version"),
)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's filter: only the ledger's own tables (never Airflow's, never the version table) are compared."""
    if type_ == "schema":
        return name is None
    if type_ == "table":
        return bool(name) and name.startswith(TABLE_PREFIX) and name != VERSION_TABLE
    return True


def checked_url(url: str | URL) -> URL:
    """``url`` parsed, if it names a database the ledger runs on; raises :class:`LedgerError` otherwise."""
    try:
        parsed = make_url(url)
    except Exception as err:  # SQLAlchemy's ArgumentError, or a ValueError from a bad port
        raise LedgerError(f"Not a database URL: {err}") from err
    if parsed.get_backend_name() not in BACKENDS:
        where = parsed.render_as_string(hide_password=True)
        raise LedgerError(f"The ledger runs on SQLite or PostgreSQL, not {parsed.get_backend_name()} ({where})")
    return parsed
