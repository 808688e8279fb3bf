"""How long each attempt's change set and stack operation took, run on SQLite (unit) and PostgreSQL (integration).

A backend's test module subclasses :class:`DurationsContract` with a ``ledger`` fixture: an empty, migrated ledger.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from tests.unit.ledger.ledger_contract import PROD, at, deploy, target

from flightdeck.ledger import Durations, Ledger, LedgerError, Outcome

TARGET = ("hello", "dev", "111111111111", "eu-west-1", "hello-dev")  # the arguments of last_durations


def timed(ledger: Ledger, minute: int, change_set: float | None, operation: float | None, **changes: Any) -> int:
    """A succeeded deploy attempt started ``minute`` after T0 that recorded these durations."""
    attempt_id = deploy(ledger, Outcome.SUCCEEDED, minute=minute, **changes)
    ledger.update_attempt(attempt_id, change_set_seconds=change_set, operation_seconds=operation)
    return attempt_id


class DurationsContract:
    """What every backend must do with the durations of change sets and stack operations."""

    def test_update_attempt_records_the_durations_and_none_keeps_them(self, ledger: Ledger) -> None:
        attempt_id = ledger.start_attempt(**target())

        created = ledger.update_attempt(attempt_id, change_set_seconds=12.5, change_set_id="cs")
        operated = ledger.update_attempt(attempt_id, operation_seconds=301.25)

        assert (created.change_set_seconds, created.operation_seconds) == (12.5, None)
        assert (operated.change_set_seconds, operated.operation_seconds, operated.change_set_id) == (12.5, 301.25, "cs")
        assert ledger.update_attempt(attempt_id, change_set_seconds=None, operation_seconds=None) == operated
        assert ledger.attempt(attempt_id) == operated

    def test_durations_are_floats_and_may_be_zero(self, ledger: Ledger) -> None:
        attempt_id = ledger.start_attempt(**target())

        updated = ledger.update_attempt(attempt_id, change_set_seconds=0, operation_seconds=90)

        assert (updated.change_set_seconds, updated.operation_seconds) == (0.0, 90.0)
        assert isinstance(updated.operation_seconds, float)

    def test_a_retry_keeps_the_durations_until_new_ones_are_recorded(self, ledger: Ledger) -> None:
        attempt_id = timed(ledger, 0, 12.5, 301.25)

        assert ledger.start_attempt(**target(), started_at=at(10)) == attempt_id

        attempt = ledger.attempt(attempt_id)
        assert (attempt.tries, attempt.change_set_seconds, attempt.operation_seconds) == (2, 12.5, 301.25)

    @pytest.mark.parametrize("name", ["change_set_seconds", "operation_seconds"])
    @pytest.mark.parametrize("seconds", [-1.0, -0.5, math.nan, math.inf, -math.inf], ids=repr)
    def test_a_negative_or_non_finite_duration_is_refused(self, ledger: Ledger, name: str, seconds: float) -> None:
        attempt_id = ledger.start_attempt(**target())

        with pytest.raises(LedgerError, match=f"^{name} is .*: a duration is a finite number of seconds, 0 or more"):
            ledger.update_attempt(attempt_id, template_hash="t1", **{name: seconds})

        attempt = ledger.attempt(attempt_id)
        assert (attempt.change_set_seconds, attempt.operation_seconds, attempt.template_hash) == (None, None, None)

    @pytest.mark.parametrize("seconds", ["12", True], ids=repr)
    def test_a_duration_that_is_not_a_number_is_refused(self, ledger: Ledger, seconds: Any) -> None:
        attempt_id = ledger.start_attempt(**target())

        with pytest.raises(LedgerError, match="operation_seconds is a number of seconds"):
            ledger.update_attempt(attempt_id, operation_seconds=seconds)

    def test_last_durations_are_each_the_newest_recorded(self, ledger: Ledger) -> None:
        timed(ledger, 0, 10.0, 100.0)
        timed(ledger, 10, 20.0, None, run_id="manual__2")  # its stack operation was never timed
        deploy(ledger, Outcome.NEVER_STARTED, minute=20, run_id="manual__3")  # nothing timed at all

        assert ledger.last_durations(*TARGET) == Durations(change_set_seconds=20.0, operation_seconds=100.0)

    def test_last_durations_go_by_start_then_id_whatever_the_kind_and_outcome(self, ledger: Ledger) -> None:
        timed(ledger, 30, 30.0, 300.0, run_id="manual__2")  # recorded first, started last
        deployed = timed(ledger, 0, 10.0, 100.0)
        rollback = ledger.start_attempt(**target(), kind="rollback", rollback_of=deployed, started_at=at(30))
        ledger.update_attempt(rollback, operation_seconds=45.0)  # same start as manual__2: the higher id wins
        ledger.finish_attempt(rollback, Outcome.FAILED)

        assert ledger.last_durations(*TARGET) == Durations(change_set_seconds=30.0, operation_seconds=45.0)

    @pytest.mark.parametrize(
        "other",
        [
            {"application": "other", "dag_id": "release__other"},
            {"environment": "prod", "account_id": PROD},
            {"account_id": "222222222222"},
            {"region": "us-east-1"},
            {"stack_name": "hello-dev-blue", "run_id": "manual__9"},
        ],
        ids="-".join,
    )
    def test_last_durations_are_those_of_the_target_and_stack(self, ledger: Ledger, other: dict[str, str]) -> None:
        timed(ledger, 0, 10.0, 100.0)
        timed(ledger, 10, 99.0, 999.0, **other)

        assert ledger.last_durations(*TARGET) == Durations(change_set_seconds=10.0, operation_seconds=100.0)

    def test_last_durations_of_an_unknown_or_untimed_target_are_none(self, ledger: Ledger) -> None:
        deploy(ledger, Outcome.SUCCEEDED)

        assert ledger.last_durations(*TARGET) == Durations(change_set_seconds=None, operation_seconds=None)
        assert ledger.last_durations("nobody", "dev", "111111111111", "eu-west-1", "nobody-dev") == Durations(
            change_set_seconds=None, operation_seconds=None
        )
