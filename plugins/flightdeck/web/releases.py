"""What the Releases page shows: the ledger's matrix and histories, read-only, newest first."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from flightdeck.errors import TransientError
from flightdeck.ledger import Attempt, Ledger, LedgerError

log = logging.getLogger(__name__)

HISTORY_LIMIT = 50
HISTORY_LIMIT_MAX = 500


class LedgerUnavailable(Exception):
    """The ledger exists but cannot be read (unreachable, misconfigured); the page answers 503."""


@dataclass(frozen=True)
class Matrix:
    """The newest attempt of every target the viewer may see, newest first.

    :param recorded: False when no release ever recorded anything (no ledger database or tables yet).
    :param applications: the applications with records the viewer may read (the filter's choices).
    :param environments: the environments of those applications (of the filtered one, if any).
    :param targets: the newest attempt of each target (application, environment, account, region) shown.
    """

    recorded: bool
    applications: tuple[str, ...]
    environments: tuple[str, ...]
    targets: tuple[Attempt, ...]


@dataclass(frozen=True)
class History:
    """One application's attempts, filtered by target, newest first.

    :param recorded: False when no release ever recorded anything.
    :param attempts: the attempts, at most the limit asked for.
    """

    recorded: bool
    attempts: tuple[Attempt, ...]


class ReleaseSource:
    """Reads the ledger for the page: one :class:`Ledger` per database URL, kept for the process's lifetime.

    It never creates the ledger: a SQLite file that does not exist, or a database without the ledger's tables,
    reads as "nothing recorded yet".

    :param ledger_url: gives the ledger's URL on each read (the Airflow connection may change).
    """

    def __init__(self, ledger_url: Callable[[], URL]) -> None:
        self._ledger_url = ledger_url
        self._ledgers: dict[str, Ledger] = {}
        self._lock = threading.Lock()

    def matrix(
        self,
        readable: Callable[[Collection[str]], set[str]],
        application: str | None = None,
        environment: str | None = None,
    ) -> Matrix:
        """The matrix of the applications ``readable`` keeps, filtered by application and environment.

        :param readable: keeps the applications the viewer may read, out of those given.
        """
        latest = self._read(lambda ledger: ledger.latest_by_target())
        if latest is None:
            return Matrix(recorded=False, applications=(), environments=(), targets=())
        allowed = readable({attempt.application for attempt in latest})
        visible = [attempt for attempt in latest if attempt.application in allowed]
        if application is not None:
            visible = [attempt for attempt in visible if attempt.application == application]
        environments = tuple(sorted({attempt.environment for attempt in visible}))
        if environment is not None:
            visible = [attempt for attempt in visible if attempt.environment == environment]
        return Matrix(
            recorded=True,
            applications=tuple(sorted(allowed)),
            environments=environments,
            targets=newest_first(visible),
        )

    def history(
        self,
        application: str,
        *,
        environment: str | None = None,
        account_id: str | None = None,
        region: str | None = None,
        limit: int = HISTORY_LIMIT,
    ) -> History:
        """An application's attempts (of one environment, account, region if given), newest first."""
        attempts = self._read(
            lambda ledger: ledger.history(
                application, environment=environment, account_id=account_id, region=region, limit=limit
            )
        )
        return History(recorded=attempts is not None, attempts=attempts or ())

    def close(self) -> None:
        """Dispose of every engine opened so far."""
        with self._lock:
            ledgers, self._ledgers = self._ledgers, {}
        for ledger in ledgers.values():
            ledger.close()

    def _read(self, query: Callable[[Ledger], tuple[Attempt, ...]]) -> tuple[Attempt, ...] | None:
        """``query``'s answer, or None when nothing was recorded yet; :class:`LedgerUnavailable` on failure."""
        try:
            url = self._ledger_url()
            if _missing_sqlite_file(url):
                return None
            return query(self._ledger(url))
        except LedgerError as err:
            if _tables_missing(err):
                return None
            log.exception("The Releases page cannot read the release ledger")
            raise LedgerUnavailable(str(err)) from err
        except TransientError as err:
            log.warning("The Releases page cannot reach the release ledger: %s", err)
            raise LedgerUnavailable(str(err)) from err

    def _ledger(self, url: URL) -> Ledger:
        key = url.render_as_string(hide_password=False)
        with self._lock:
            if key not in self._ledgers:
                self._ledgers[key] = Ledger(url)
            return self._ledgers[key]


def newest_first(attempts: Collection[Attempt]) -> tuple[Attempt, ...]:
    """``attempts`` sorted by latest start, then highest id (the ledger's own "newest")."""
    return tuple(sorted(attempts, key=lambda attempt: (attempt.started_at, attempt.id), reverse=True))


def _missing_sqlite_file(url: URL) -> bool:
    """A SQLite ledger whose file does not exist: opening it would create an empty file, so it is not opened."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return False
    return not Path(database).exists()


def _tables_missing(err: LedgerError) -> bool:
    """The repository's error for a database without the ledger's tables (it says to run ``upgrade``)."""
    return "upgrade" in str(err)
