"""The release ledger's repository: the only code that reads or writes the ledger's tables."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, exc, insert, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL

from flightdeck.errors import TransientError
from flightdeck.ledger import migrate, queries
from flightdeck.ledger.reads import LedgerReads
from flightdeck.ledger.records import (
    Attempt,
    AttemptKind,
    DriftedResource,
    DriftStatus,
    LedgerError,
    Outcome,
    Override,
    check_account_id,
    check_drifted_resources,
    check_parameter_versions,
    check_seconds,
    drift_status_of,
    kind_of,
    outcome_of,
    short_message,
)
from flightdeck.ledger.schema import checked_url, deployments, promotion_overrides

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another task's write on the same SQLite file
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def create_ledger_engine(url: str | URL) -> Engine:
    """An engine for the ledger's database: SQLite (foreign keys on, waiting for other writers) or PostgreSQL."""
    url = checked_url(url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, pool_pre_ping=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})

    @event.listens_for(engine, "connect")
    def _foreign_keys(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    return engine


class Ledger(LedgerReads):
    """Records every deployment attempt and promotion override, and answers what was deployed where.

    It does not create its tables: call :meth:`upgrade` (or :func:`flightdeck.ledger.upgrade`) once first.

    :param url: the ledger database's SQLAlchemy URL (:func:`flightdeck.ledger.ledger_url` gives the configured
        one); the ledger owns the engine it makes and :meth:`close` disposes of it.
    """

    def __init__(self, url: str | URL) -> None:
        self._bind(create_ledger_engine(url), owns_engine=True)

    @classmethod
    def from_engine(cls, engine: Engine) -> Ledger:
        """A ledger on an engine someone else owns (and disposes of)."""
        checked_url(engine.url)
        ledger = cls.__new__(cls)
        ledger._bind(engine, owns_engine=False)
        return ledger

    def _bind(self, engine: Engine, *, owns_engine: bool) -> None:
        self.engine = engine
        self._owns_engine = owns_engine
        self._insert = _INSERTS[engine.dialect.name]

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Dispose of the engine, when the ledger made it."""
        if self._owns_engine:
            self.engine.dispose()

    def upgrade(self) -> None:
        """Create or migrate the ledger's tables (:func:`flightdeck.ledger.migrate.upgrade`)."""
        migrate.upgrade(self.engine)

    # Writes

    def start_attempt(
        self,
        *,
        application: str,
        environment: str,
        account_id: str,
        region: str,
        stack_name: str,
        version: str,
        dag_id: str,
        run_id: str,
        kind: AttemptKind | str = AttemptKind.DEPLOY,
        triggered_by: str | None = None,
        artifact_digest: str | None = None,
        template_hash: str | None = None,
        parameters_hash: str | None = None,
        parameter_versions: Mapping[str, str] | None = None,
        change_set_id: str | None = None,
        rollback_of: int | None = None,
        rolled_back_to_version: str | None = None,
        started_at: datetime | None = None,
    ) -> int:
        """Record that an attempt started (``in_progress``) and return its id.

        Idempotent per ``(dag_id, run_id, environment, account_id, region, kind)``: starting the same attempt again
        (a retry, a cleared task) returns the same id, puts it back in progress, counts one more try and keeps the
        optional facts already recorded (who triggered it, digests, change set...) unless new ones are passed. A
        rollback names the attempt it rolls back.

        :param kind: ``deploy``, or ``rollback`` (then ``rollback_of`` is required).
        :param parameter_versions: parameter name → version marker; anything else (a value?) is refused.
        :param started_at: when it started (aware datetime; default now).
        :raises LedgerError: an argument is missing, malformed or too long for its column.
        """
        kind = kind_of(kind)
        if (kind is AttemptKind.ROLLBACK) != (rollback_of is not None):
            raise LedgerError("A rollback attempt names the attempt it rolls back (rollback_of); a deploy does not")
        key = {
            "dag_id": dag_id,
            "run_id": run_id,
            "environment": environment,
            "account_id": check_account_id(account_id),
            "region": region,
            "kind": kind.value,
        }
        facts = {
            "application": application,
            "stack_name": stack_name,
            "version": version,
            "rollback_of": rollback_of,
            "outcome": Outcome.IN_PROGRESS.value,
            "started_at": started_at or _now(),
            "finished_at": None,
            "message": None,
        }
        later = _later_facts(
            triggered_by=triggered_by,
            rolled_back_to_version=rolled_back_to_version,
            artifact_digest=artifact_digest,
            template_hash=template_hash,
            parameters_hash=parameters_hash,
            parameter_versions=parameter_versions,
            change_set_id=change_set_id,
        )
        _check_values(deployments, {**key, **facts, **later}, required=(*key, "application", "stack_name", "version"))
        statement = self._insert(deployments).values({"parameter_versions": {}, **key, **facts, **later, "tries": 1})
        statement = statement.on_conflict_do_update(
            index_elements=list(key),
            set_={**facts, **later, "tries": deployments.c.tries + 1},
        ).returning(deployments.c.id)
        with self._transaction("start an attempt") as connection:
            attempt_id = connection.execute(statement).scalar_one()
        where = f"{environment}/{account_id}/{region}"
        log.info("Ledger: %s attempt %s of %s %s in %s started", kind, attempt_id, application, version, where)
        return int(attempt_id)

    def update_attempt(
        self,
        attempt_id: int,
        *,
        artifact_digest: str | None = None,
        template_hash: str | None = None,
        parameters_hash: str | None = None,
        parameter_versions: Mapping[str, str] | None = None,
        change_set_id: str | None = None,
        change_set_seconds: float | None = None,
        operation_seconds: float | None = None,
    ) -> Attempt:
        """Add what was learnt since the attempt started (the package, the change set); ``None`` keeps a fact.

        :param change_set_seconds: seconds CloudFormation took to create the change set.
        :param operation_seconds: seconds CloudFormation took to run the stack operation.
        :raises LedgerError: an unknown attempt, a malformed fact, a negative or non-finite duration.
        """
        later = _later_facts(
            artifact_digest=artifact_digest,
            template_hash=template_hash,
            parameters_hash=parameters_hash,
            parameter_versions=parameter_versions,
            change_set_id=change_set_id,
            change_set_seconds=change_set_seconds,
            operation_seconds=operation_seconds,
        )
        _check_values(deployments, later)
        if not later:
            return self.attempt(attempt_id)
        return self._update_attempt(attempt_id, later, "update an attempt")

    def finish_attempt(
        self,
        attempt_id: int,
        outcome: Outcome | str,
        *,
        message: str | None = None,
        finished_at: datetime | None = None,
    ) -> Attempt:
        """Record how an attempt ended (again, if it had: a rollback turns ``succeeded`` into ``rolled_back``).

        :param outcome: any outcome but ``in_progress``.
        :param message: why, in a sentence (cut to 2,000 characters).
        :param finished_at: when (aware datetime; default now).
        :raises LedgerError: an unknown attempt or outcome.
        """
        final = outcome_of(outcome)
        if final is Outcome.IN_PROGRESS:
            raise LedgerError("finish_attempt needs how the attempt ended; start_attempt puts it in progress")
        values = {"outcome": final.value, "finished_at": finished_at or _now(), "message": short_message(message)}
        return self._update_attempt(attempt_id, values, "finish an attempt")

    def record_drift(
        self, attempt_id: int, *, drift_status: DriftStatus | str, drifted_resources: Sequence[DriftedResource] = ()
    ) -> Attempt:
        """Record what a refresh's drift detection found on the attempt's stack (again, if it ran again).

        :param drift_status: the stack's drift status (``DRIFTED``, ``IN_SYNC``, ``UNKNOWN``, ``NOT_CHECKED``).
        :param drifted_resources: the drifted resources: logical id, type, status, and each property's path and
            difference type. There is no field for a value: drifted properties may hold secrets.
        :raises LedgerError: an unknown attempt or status, or a malformed resource.
        """
        values = {
            "drift_status": drift_status_of(drift_status).value,
            "drifted_resources": check_drifted_resources(drifted_resources),
        }
        return self._update_attempt(attempt_id, values, "record drift")

    def record_approval(
        self,
        *,
        dag_id: str,
        run_id: str,
        environment: str,
        approved_by: str,
        approved_at: datetime | None = None,
        targets: Iterable[tuple[str, str]] | None = None,
        kind: AttemptKind | str = AttemptKind.DEPLOY,
    ) -> int:
        """Record who approved the run's gate of ``environment`` on its deploy attempts that have no approval yet.

        Call it after the attempts it approves started: with waves, each gate approves the attempts of its wave,
        those of earlier waves keep theirs. Returns how many attempts it marked.

        :param targets: only these ``(account_id, region)`` targets (a gate's own change sets); None: all.
        :param kind: the attempts' kind: ``deploy`` (a release's gate) or ``refresh`` (a refresh's gate).
        """
        _check_values(deployments, {"approved_by": approved_by}, required=("approved_by",))
        statement = (
            update(deployments)
            .where(
                deployments.c.dag_id == dag_id,
                deployments.c.run_id == run_id,
                deployments.c.environment == environment,
                deployments.c.kind == kind_of(kind).value,
                deployments.c.approved_by.is_(None),
            )
            .values(approved_by=approved_by, approved_at=approved_at or _now())
        )
        if targets is not None:
            pairs = [tuple_(account_id, region) for account_id, region in targets]
            if not pairs:
                return 0
            statement = statement.where(tuple_(deployments.c.account_id, deployments.c.region).in_(pairs))
        with self._transaction("record an approval") as connection:
            return int(connection.execute(statement).rowcount)

    def record_override(
        self,
        *,
        application: str,
        environment: str,
        version: str,
        artifact_digest: str,
        run_id: str,
        overridden_by: str,
        reason: str,
        created_at: datetime | None = None,
    ) -> Override:
        """Record that ``overridden_by`` let ``version`` into ``environment`` without the promotion rule, and why."""
        values = {
            "application": application,
            "environment": environment,
            "version": version,
            "artifact_digest": artifact_digest,
            "run_id": run_id,
            "overridden_by": overridden_by,
            "reason": reason.strip(),
        }
        _check_values(promotion_overrides, values, required=tuple(values))
        statement = (
            insert(promotion_overrides)
            .values(**values, created_at=created_at or _now())
            .returning(*promotion_overrides.c)
        )
        with self._transaction("record an override") as connection:
            return queries.override_of(connection.execute(statement).one())

    # Internals

    def _update_attempt(self, attempt_id: int, values: dict[str, Any], action: str) -> Attempt:
        statement = update(deployments).where(deployments.c.id == attempt_id).values(**values)
        with self._transaction(action) as connection:
            row = connection.execute(statement.returning(*deployments.c)).one_or_none()
        if row is None:
            raise LedgerError(f"The ledger has no deployment attempt {attempt_id}")
        return queries.attempt_of(row)

    @contextmanager
    def _transaction(self, action: str) -> Iterator[Connection]:
        """One transaction; database errors become :class:`LedgerError` or, if a retry may help, ``TransientError``."""
        where = self.engine.url.render_as_string(hide_password=True)
        try:
            with self.engine.begin() as connection:
                yield connection
        except exc.DBAPIError as err:
            reason = str(err.orig).strip()
            if "no such table" in reason or ('relation "flightdeck_' in reason and "does not exist" in reason):
                raise LedgerError(
                    f"Cannot {action}: the ledger's tables are missing in {where}; run flightdeck.ledger.upgrade"
                ) from err
            if isinstance(err, exc.OperationalError | exc.InterfaceError) or err.connection_invalidated:
                raise TransientError(f"Cannot {action} in the ledger at {where}: {reason}") from err
            raise LedgerError(f"The ledger at {where} refused to {action}: {reason}") from err
        except exc.StatementError as err:
            if isinstance(err.orig, LedgerError):  # raised while binding a value (a naive timestamp)
                raise err.orig from None
            raise LedgerError(f"Cannot {action} in the ledger at {where}: {err}") from err
        except exc.SQLAlchemyError as err:
            raise LedgerError(f"Cannot {action} in the ledger at {where}: {err}") from err


def _now() -> datetime:
    return datetime.now(UTC)


def _later_facts(**facts: Any) -> dict[str, Any]:
    """The facts passed (not ``None``), parameter versions checked to be markers and sorted, durations checked."""
    passed = {name: value for name, value in facts.items() if value is not None}
    if "parameter_versions" in passed:
        passed["parameter_versions"] = dict(sorted(check_parameter_versions(passed["parameter_versions"]).items()))
    for name in ("change_set_seconds", "operation_seconds"):
        if name in passed:
            passed[name] = check_seconds(name, passed[name])
    return passed


def _check_values(table: Table, values: Mapping[str, Any], required: tuple[str, ...] = ()) -> None:
    """Refuse empty required strings and strings longer than their column, the same way on every backend."""
    for name in required:
        value = values.get(name)
        if not isinstance(value, str) or not value.strip():
            raise LedgerError(f"The ledger needs {name} (got {value!r})")
    for name, value in values.items():
        length = getattr(table.c[name].type, "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            raise LedgerError(f"{name} is {len(value)} characters long; the ledger keeps at most {length}")
