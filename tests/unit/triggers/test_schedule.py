"""When a trigger looks again: at the expected end, then every few seconds, else at its regular interval."""

from __future__ import annotations

import pytest

from flightdeck.triggers.schedule import (
    CLOSE_SECONDS,
    LATE_WINDOW_SECONDS,
    MAX_QUIET_SECONDS,
    first_look_pays,
    next_poll_in,
)


def _polls(expected: float | None, lasts: float, delay: float) -> list[float]:
    """The times of the polls of an operation that ``lasts`` seconds, until one sees it over."""
    at, polls = 0.0, []
    while not polls or polls[-1] < lasts:
        at += next_poll_in(at, expected, delay)
        polls.append(at)
    return polls


def test_an_unknown_duration_polls_at_the_regular_interval() -> None:
    assert _polls(None, 60, 5) == [5.0 * n for n in range(1, 13)]


@pytest.mark.parametrize(("expected", "polls"), [(10, [10.0]), (60, [60.0]), (180, [60.0, 120.0, 180.0])])
def test_an_operation_as_long_as_the_last_is_seen_at_its_end(expected: float, polls: list[float]) -> None:
    assert _polls(expected, expected, 5) == polls


def test_a_late_operation_is_seen_within_the_close_interval() -> None:
    polls = _polls(60, 65, 5)
    assert polls[0] == 60.0
    assert polls[-1] - 65 <= CLOSE_SECONDS
    assert len(polls) == 1 + 5  # 61, 62, 63, 64, 65


def test_a_very_late_operation_falls_back_to_the_regular_interval() -> None:
    window = max(LATE_WINDOW_SECONDS, 10 / 2)
    assert next_poll_in(10 + window - 0.1, 10, 5) == CLOSE_SECONDS
    assert next_poll_in(10 + window, 10, 5) == 5


def test_quiet_waits_are_bounded_so_an_early_failure_is_seen() -> None:
    assert next_poll_in(0, 3600, 5) == MAX_QUIET_SECONDS
    assert next_poll_in(9.9, 10, 5) == 0.5  # never a busy loop just before the end


def test_the_close_interval_never_exceeds_the_regular_one() -> None:
    assert next_poll_in(11, 10, 1) == 1


def test_a_first_look_only_when_the_operation_may_be_over() -> None:
    assert first_look_pays(None)
    assert first_look_pays(0.5)
    assert not first_look_pays(10)
