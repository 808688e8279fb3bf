"""The ledger reads behind the page: the matrix newest first, filters, what the viewer may read, no ledger yet."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from web_samples import TESTER, XSS, seed

from flightdeck.errors import TransientError
from flightdeck.ledger import Ledger, LedgerError, Outcome
from flightdeck.web.releases import LedgerUnavailable, ReleaseSource


def _targets(matrix) -> list[tuple[str, str, str, str, str, Outcome]]:
    return [(a.application, a.environment, a.account_id, a.region, a.version, a.outcome) for a in matrix.targets]


def test_matrix_is_the_newest_attempt_per_target_newest_first(ledger_url: URL) -> None:
    matrix = ReleaseSource(lambda: ledger_url).matrix(TESTER.readable)
    assert matrix.recorded
    assert _targets(matrix) == [
        (XSS, "dev", "111111111111", "eu-west-1", "1.0", Outcome.FAILED),
        ("hello", "prod", "333333333333", "eu-west-1", "2.0.0", Outcome.ROLLED_BACK),
        ("hello", "staging", "222222222222", "eu-west-1", "2.0.0", Outcome.FAILED),
        ("hello", "dev", "111111111111", "eu-west-1", "2.0.0", Outcome.SUCCEEDED),
        ("hello", "prod", "333333333333", "us-east-1", "1.0.0", Outcome.SUCCEEDED),
    ]
    # payroll's release DAG is not readable: neither its targets nor its name show.
    assert matrix.applications == (XSS, "hello")
    assert matrix.environments == ("dev", "prod", "staging")
    assert matrix.targets[-1].approved_by == "approver"


def test_matrix_filters_by_application_and_environment(ledger_url: URL) -> None:
    source = ReleaseSource(lambda: ledger_url)
    prod = source.matrix(TESTER.readable, "hello", "prod")
    assert [(a.region, a.version) for a in prod.targets] == [("eu-west-1", "2.0.0"), ("us-east-1", "1.0.0")]
    assert prod.environments == ("dev", "prod", "staging")  # the filter's choices stay those of the application
    assert source.matrix(TESTER.readable, "nothing-here").targets == ()


def test_history_is_newest_first_per_target_and_limited(ledger_url: URL) -> None:
    source = ReleaseSource(lambda: ledger_url)
    history = source.history("hello", environment="prod", account_id="333333333333", region="eu-west-1")
    assert [(a.version, a.outcome) for a in history.attempts] == [
        ("2.0.0", Outcome.ROLLED_BACK),
        ("1.0.0", Outcome.SUCCEEDED),
    ]
    assert [a.environment for a in source.history("hello", limit=3).attempts] == ["prod", "staging", "dev"]


def test_a_ledger_never_written_reads_as_nothing_recorded_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "flightdeck-ledger.db"
    source = ReleaseSource(lambda: URL.create("sqlite", database=str(missing)))
    matrix = source.matrix(TESTER.readable)
    assert (matrix.recorded, matrix.targets, matrix.applications) == (False, (), ())
    assert source.history("hello").recorded is False
    assert not missing.exists()


def test_a_database_without_the_ledger_tables_reads_as_nothing_recorded(tmp_path: Path) -> None:
    url = URL.create("sqlite", database=str(tmp_path / "other.db"))
    with Ledger(url) as ledger, ledger.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE unrelated (id INTEGER)")
    source = ReleaseSource(lambda: url)
    assert source.matrix(TESTER.readable).recorded is False
    assert source.history("hello").attempts == ()
    with Ledger(url) as ledger:  # nothing was created by reading
        ledger.upgrade()
        seed(ledger)
    assert source.matrix(TESTER.readable).recorded is True


@pytest.mark.parametrize(
    "error",
    [
        LedgerError("Airflow connection 'flightdeck_ledger' is of type 'http': the release ledger needs ..."),
        TransientError("Cannot read the latest attempts in the ledger at postgresql://db/ledger: refused"),
    ],
)
def test_a_ledger_that_cannot_be_read_is_unavailable(error: Exception) -> None:
    def broken() -> URL:
        raise error

    with pytest.raises(LedgerUnavailable, match=str(error)[:20]):
        ReleaseSource(broken).matrix(TESTER.readable)
