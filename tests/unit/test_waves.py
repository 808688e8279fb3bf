"""Wave outcomes and failure tolerance (StackSets semantics: a percentage of the wave, rounded down)."""

from __future__ import annotations

import pytest

from flightdeck.waves import (
    WaveOutcome,
    failed_targets,
    stop_starting,
    tolerance_exceeded,
    tolerated_failures,
    wave_outcome,
)

TASKS = ["w.prepare.package", "w.deploy.smoke_test"]
LABELS = ["prod/1/eu-west-1", "prod/1/us-east-1", "prod/2/eu-west-1"]


def test_targets_are_classified_by_their_tasks() -> None:
    states = {
        "w.prepare.package_0": "success",
        "w.deploy.smoke_test_0": "success",
        "w.prepare.package_1": "success",
        "w.deploy.smoke_test_1": "failed",
        "w.prepare.package_2": "success",
        "w.deploy.smoke_test_2": "upstream_failed",
    }
    outcome = wave_outcome(states, TASKS, LABELS)
    assert outcome == WaveOutcome(
        succeeded=("prod/1/eu-west-1",), failed=("prod/1/us-east-1",), not_started=("prod/2/eu-west-1",)
    )
    assert outcome.summary() == (
        "1 succeeded, 1 failed, 1 never started; failed: prod/1/us-east-1; never started: prod/2/eu-west-1"
    )


def test_skipped_tasks_count_as_done() -> None:
    states = {"w.prepare.package_0": "success", "w.deploy.smoke_test_0": "skipped"}
    assert wave_outcome(states, TASKS, LABELS[:1]).succeeded == ("prod/1/eu-west-1",)


@pytest.mark.parametrize(
    ("total", "count", "percent", "tolerated"),
    [(10, 0, None, 0), (10, 3, None, 3), (10, None, 10, 1), (10, None, 19, 1), (3, None, 50, 1), (5, None, 0, 0)],
)
def test_tolerated_failures(total: int, count: int | None, percent: int | None, tolerated: int) -> None:
    assert tolerated_failures(total, count, percent) == tolerated


def test_tolerance() -> None:
    one_failed = WaveOutcome(succeeded=("a", "b", "c"), failed=("d",), not_started=())
    assert tolerance_exceeded(one_failed, 0, None)
    assert not tolerance_exceeded(one_failed, 1, None)
    assert not tolerance_exceeded(one_failed, None, 25)
    assert tolerance_exceeded(one_failed, None, 24)


def test_targets_that_never_started_fail_the_wave() -> None:
    stopped = WaveOutcome(succeeded=(), failed=(), not_started=("a",))
    assert tolerance_exceeded(stopped, 5, None)


def test_targets_marked_never_started_are_not_counted_as_done() -> None:
    states = {"w.prepare.package_0": "skipped", "w.deploy.smoke_test_0": "skipped"}
    assert wave_outcome(states, TASKS, LABELS[:1]).succeeded == ("prod/1/eu-west-1",)
    outcome = wave_outcome(states, TASKS, LABELS[:1], never_started={0})
    assert outcome.not_started == ("prod/1/eu-west-1",)
    assert outcome.succeeded == ()


def test_failed_targets_are_counted_by_map_index() -> None:
    states = {
        "w.prepare.package_0": "success",
        "w.deploy.smoke_test_0": "failed",
        "w.prepare.package_1": "failed",
        "w.deploy.smoke_test_1": "upstream_failed",
        "w.prepare.package_2": "up_for_retry",  # may still succeed: not failed yet
        "w.prepare.package_3": None,
        "other.task_4": "failed",  # another wave's task
        "w.prepare.package": "failed",  # not mapped: not a target
    }
    assert failed_targets(states, TASKS) == ({0, 1}, 4)


@pytest.mark.parametrize(
    ("failed", "total", "count", "percent", "stop"),
    [
        (0, 5, 0, None, False),
        (1, 5, 0, None, True),  # default: the first failure stops the wave
        (1, 5, 1, None, False),
        (2, 5, 1, None, True),
        (2, 10, None, 20, False),
        (3, 10, None, 20, True),
        (1, 4, None, 20, True),  # 20 % of 4 rounds down to 0
    ],
)
def test_no_target_starts_once_the_tolerance_is_exceeded(
    failed: int, total: int, count: int | None, percent: int | None, stop: bool
) -> None:
    assert stop_starting(failed, total, count, percent) is stop
