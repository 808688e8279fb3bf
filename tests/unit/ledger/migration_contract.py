"""The ledger's migrations, run on SQLite (unit tests) and PostgreSQL (integration tests).

A backend's test module subclasses :class:`MigrationContract` with an ``empty_url`` fixture: the URL of a
database that has no table yet.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, Table, create_engine, inspect, select, text
from sqlalchemy.engine import URL
from tests.unit.ledger.ledger_contract import target

from flightdeck.ledger import AttemptKind, Ledger, LedgerError, upgrade
from flightdeck.ledger.migrate import alembic_config, current_revision, head_revision
from flightdeck.ledger.schema import VERSION_TABLE, include_name, metadata

PLUGINS = Path(__file__).resolve().parents[3] / "plugins"
LEDGER_TABLES = {"flightdeck_deployments", "flightdeck_promotion_overrides"}


def schema_of(url: URL | str) -> dict[str, object]:
    """Every table of the database with its columns, indexes, unique and check constraints, by name."""
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        return {
            table: (
                [column["name"] for column in inspector.get_columns(table)],
                sorted(  # PostgreSQL also lists the index behind each unique constraint
                    index["name"] or ""
                    for index in inspector.get_indexes(table)
                    if "duplicates_constraint" not in index
                ),
                sorted(constraint["name"] or "" for constraint in inspector.get_unique_constraints(table)),
                sorted(constraint["name"] or "" for constraint in inspector.get_check_constraints(table)),
            )
            for table in inspector.get_table_names()
        }
    finally:
        engine.dispose()


def version_rows(url: URL | str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            table = Table(VERSION_TABLE, MetaData(), Column("version_num", String))
            return list(connection.execute(select(table.c.version_num)).scalars())
    finally:
        engine.dispose()


def downgrade(url: URL | str, revision: str) -> None:
    """Take the ledger's tables back to ``revision`` (developers only: the ledger itself never downgrades)."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


def attempt_ids(url: URL | str) -> list[int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT id FROM flightdeck_deployments ORDER BY id")).scalars())
    finally:
        engine.dispose()


class MigrationContract:
    """What the ledger's migrations must do on every backend."""

    def test_upgrade_creates_the_schema_from_empty(self, empty_url: URL) -> None:
        assert current_revision(empty_url) is None

        upgrade(empty_url)

        schema = schema_of(empty_url)
        assert set(schema) == {*LEDGER_TABLES, VERSION_TABLE}
        assert schema["flightdeck_deployments"][1:] == (
            ["ix_flightdeck_deployments_release", "ix_flightdeck_deployments_target"],
            ["uq_flightdeck_deployments_attempt"],
            [
                "ck_flightdeck_deployments_drift_status",
                "ck_flightdeck_deployments_kind",
                "ck_flightdeck_deployments_outcome",
            ],
        )
        assert schema["flightdeck_promotion_overrides"][1] == ["ix_flightdeck_promotion_overrides_release"]
        assert current_revision(empty_url) == head_revision()

    def test_upgrading_twice_changes_nothing(self, empty_url: URL) -> None:
        upgrade(empty_url)
        before = schema_of(empty_url)

        upgrade(empty_url)

        assert schema_of(empty_url) == before
        assert version_rows(empty_url) == [head_revision()]

    def test_the_models_and_the_migrations_agree(self, empty_url: URL) -> None:
        upgrade(empty_url)

        engine = create_engine(empty_url)
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={"version_table": VERSION_TABLE, "include_name": include_name, "compare_type": True},
                )
                assert compare_metadata(context, metadata) == []
        finally:
            engine.dispose()
        # Autogenerate does not compare check constraints: their names at least must match.
        checks = {
            table.name: sorted(
                str(constraint.name) for constraint in table.constraints if constraint.name.startswith("ck_")
            )
            for table in metadata.sorted_tables
        }
        assert {name: schema[3] for name, schema in schema_of(empty_url).items() if name in LEDGER_TABLES} == checks

    def test_processes_upgrading_at_once_all_succeed(self, empty_url: URL) -> None:
        # Each process imports, says it is ready, then waits for "go": all then race for the migration lock
        # (without it, all but one fail: "table already exists").
        script = "import sys\nfrom flightdeck.ledger import upgrade\nprint('ready', flush=True)\nsys.stdin.readline()\n"
        script += "upgrade(sys.argv[1])\n"
        url = empty_url.render_as_string(hide_password=False)
        environment = {**os.environ, "PYTHONPATH": str(PLUGINS)}
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", script, url],
                env=environment,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline() == "ready\n"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        errors = [process.communicate(timeout=120)[1] for process in processes]

        assert [process.returncode for process in processes] == [0, 0, 0], errors
        assert version_rows(empty_url) == [head_revision()]
        assert set(schema_of(empty_url)) == {*LEDGER_TABLES, VERSION_TABLE}

    def test_upgrade_leaves_airflows_tables_alone(self, empty_url: URL) -> None:
        airflow = MetaData()
        alembic_version = Table("alembic_version", airflow, Column("version_num", String(32), primary_key=True))
        Table("dag", airflow, Column("dag_id", String(250), primary_key=True))
        engine = create_engine(empty_url)
        try:
            airflow.create_all(engine)
            with engine.begin() as connection:
                connection.execute(alembic_version.insert().values(version_num="airflow-head"))

            upgrade(engine)

            with engine.connect() as connection:
                assert list(connection.execute(select(alembic_version.c.version_num)).scalars()) == ["airflow-head"]
        finally:
            engine.dispose()
        assert set(schema_of(empty_url)) == {*LEDGER_TABLES, VERSION_TABLE, "alembic_version", "dag"}

    def test_a_ledger_without_its_tables_says_to_upgrade(self, empty_url: URL) -> None:
        with Ledger(empty_url) as ledger, pytest.raises(LedgerError, match=r"tables are missing .*ledger.upgrade"):
            ledger.history("hello")

    def test_0002_keeps_the_attempts_and_allows_refreshes(self, empty_url: URL) -> None:
        upgrade(empty_url, "0001")
        with Ledger(empty_url) as ledger:
            kept = ledger.start_attempt(**target())

            upgrade(empty_url)

            assert current_revision(empty_url) == head_revision()
            assert ledger.attempt(kept).kind is AttemptKind.DEPLOY
            assert (ledger.attempt(kept).drift_status, ledger.attempt(kept).drifted_resources) == (None, None)
            refresh = ledger.start_attempt(**target(dag_id="refresh__hello", run_id="scheduled__1"), kind="refresh")
            assert ledger.attempt(refresh).kind is AttemptKind.REFRESH

    def test_0003_keeps_the_attempts_and_records_durations(self, empty_url: URL) -> None:
        upgrade(empty_url, "0002")
        with Ledger(empty_url) as ledger:
            kept = ledger.start_attempt(**target(), change_set_id="cs")

            upgrade(empty_url, "0003")

            assert current_revision(empty_url) == "0003"
            attempt = ledger.attempt(kept)
            assert (attempt.change_set_id, attempt.change_set_seconds, attempt.operation_seconds) == ("cs", None, None)
            timed = ledger.update_attempt(kept, change_set_seconds=12.5, operation_seconds=301.25)
            assert (timed.change_set_seconds, timed.operation_seconds) == (12.5, 301.25)

    def test_0003_downgrades_to_0002_keeping_the_attempts(self, empty_url: URL) -> None:
        upgrade(empty_url, "0002")
        at_0002 = schema_of(empty_url)
        upgrade(empty_url, "0003")
        with Ledger(empty_url) as ledger:
            kept = ledger.start_attempt(**target())
            ledger.update_attempt(kept, change_set_seconds=12.5, operation_seconds=301.25)

        downgrade(empty_url, "0002")

        assert current_revision(empty_url) == "0002"
        assert schema_of(empty_url) == at_0002
        assert attempt_ids(empty_url) == [kept]
        upgrade(empty_url)
        assert current_revision(empty_url) == head_revision()
