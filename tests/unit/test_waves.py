"""Wave outcomes and failure tolerance (StackSets semantics: a percentage of the wave, rounded down)."""

from __future__ import annotations

import pytest

from flightdeck.waves import WaveOutcome, tolerance_exceeded, tolerated_failures, wave_outcome

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
