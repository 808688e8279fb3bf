"""The release ledger's reads: what was deployed where, by whom, and what the promotion rule may count."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import Connection

from flightdeck.ledger import queries
from flightdeck.ledger.records import (
    Attempt,
    AttemptKind,
    Durations,
    LedgerError,
    Override,
    SucceededRelease,
    kind_of,
)


class LedgerReads:
    """The read side of :class:`~flightdeck.ledger.Ledger`, which supplies the transaction every read runs in."""

    _transaction: Callable[[str], AbstractContextManager[Connection]]

    def attempt(self, attempt_id: int) -> Attempt:
        """One attempt by id; raises :class:`LedgerError` when there is none."""
        with self._transaction("read an attempt") as connection:
            row = connection.execute(queries.by_id(attempt_id)).one_or_none()
        if row is None:
            raise LedgerError(f"The ledger has no deployment attempt {attempt_id}")
        return queries.attempt_of(row)

    def find_attempt(
        self,
        *,
        dag_id: str,
        run_id: str,
        environment: str,
        account_id: str,
        region: str,
        kind: AttemptKind | str = AttemptKind.DEPLOY,
    ) -> Attempt | None:
        """The attempt of that run, target and kind (the idempotency key of :meth:`start_attempt`), if recorded."""
        statement = queries.by_key(
            dag_id=dag_id,
            run_id=run_id,
            environment=environment,
            account_id=account_id,
            region=region,
            kind=kind_of(kind),
        )
        with self._transaction("find an attempt") as connection:
            row = connection.execute(statement).one_or_none()
        return None if row is None else queries.attempt_of(row)

    def release_attempts(self, application: str, environment: str, version: str) -> tuple[Attempt, ...]:
        """Every deploy attempt of ``version`` in ``environment``, of every run, oldest first."""
        statement = queries.release(application, environment, version)
        with self._transaction("read a release's attempts") as connection:
            rows = connection.execute(statement).all()
        return tuple(queries.attempt_of(row) for row in rows)

    def latest_by_target(
        self, *, application: str | None = None, environment: str | None = None
    ) -> tuple[Attempt, ...]:
        """The newest attempt of each (application, environment, account, region), sorted by those four."""
        with self._transaction("read the latest attempts") as connection:
            rows = connection.execute(queries.latest_by_target(application, environment)).all()
        return tuple(queries.attempt_of(row) for row in rows)

    def history(
        self,
        application: str,
        *,
        environment: str | None = None,
        account_id: str | None = None,
        region: str | None = None,
        limit: int = 50,
    ) -> tuple[Attempt, ...]:
        """An application's attempts (of one environment, account, region if given), newest first."""
        if limit < 1:
            raise LedgerError(f"A history has at least one attempt: limit {limit}")
        statement = queries.history(application, environment, account_id, region, limit)
        with self._transaction("read the history") as connection:
            rows = connection.execute(statement).all()
        return tuple(queries.attempt_of(row) for row in rows)

    def last_durations(
        self, application: str, environment: str, account_id: str, region: str, stack_name: str
    ) -> Durations:
        """How long the target's stack last took to create a change set and to run an operation, each on its own.

        Each is that of the newest attempt (latest start, then highest id) of that target and stack that recorded
        it, whatever its kind and outcome; ``None`` when none did.
        """
        statement = queries.last_durations(application, environment, account_id, region, stack_name)
        with self._transaction("read the last durations") as connection:
            row = connection.execute(statement).one()
        return queries.durations_of(row)

    def succeeded_versions(self, application: str, environment: str) -> tuple[SucceededRelease, ...]:
        """Versions that succeeded in ``environment``, newest first (the promotion rule's evidence).

        A version succeeded when one run's deploy attempts of it in that environment all succeeded, all with the
        same artifact digest (a target that failed, was rolled back, never started or is still running means
        that run did not succeed; a cleared target that then succeeded counts, its attempt being updated).
        """
        with self._transaction("read succeeded versions") as connection:
            rows = connection.execute(queries.succeeded(application, environment)).all()
        return tuple(queries.succeeded_of(row) for row in rows)

    def has_succeeded(self, application: str, environment: str, version: str, artifact_digest: str) -> bool:
        """Whether ``version`` with ``artifact_digest`` succeeded in ``environment`` (:meth:`succeeded_versions`)."""
        statement = queries.succeeded(application, environment, version=version, artifact_digest=artifact_digest)
        with self._transaction("read succeeded versions") as connection:
            return connection.execute(statement.limit(1)).first() is not None

    def overrides(
        self, application: str, *, environment: str | None = None, version: str | None = None
    ) -> tuple[Override, ...]:
        """The promotion overrides recorded for an application, newest first."""
        with self._transaction("read overrides") as connection:
            rows = connection.execute(queries.overrides(application, environment, version)).all()
        return tuple(queries.override_of(row) for row in rows)
