"""Pure rollout rules of a wave: which targets failed, and whether the wave's failure tolerance is exceeded."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

FAILED_STATES = {"failed", "upstream_failed"}
DONE_STATES = {"success", "skipped"}


@dataclass(frozen=True)
class WaveOutcome:
    """Targets of a wave by how they ended.

    :param succeeded: labels whose every task succeeded (or was skipped: nothing to change).
    :param failed: labels with a failed task.
    :param not_started: labels that never ran (stopped by an earlier failure).
    """

    succeeded: tuple[str, ...]
    failed: tuple[str, ...]
    not_started: tuple[str, ...]

    def summary(self) -> str:
        parts = [f"{len(self.succeeded)} succeeded", f"{len(self.failed)} failed"]
        if self.not_started:
            parts.append(f"{len(self.not_started)} never started")
        text = ", ".join(parts)
        if self.failed:
            text += f"; failed: {', '.join(self.failed)}"
        if self.not_started:
            text += f"; never started: {', '.join(self.not_started)}"
        return text


def wave_outcome(
    states: Mapping[str, str | None],
    task_ids: Sequence[str],
    labels: Sequence[str],
    never_started: Collection[int] = (),
) -> WaveOutcome:
    """Classify each target from the states of its mapped task instances (keys ``<task_id>_<map_index>``).

    :param never_started: map indexes of targets that did not start because the wave had failed already (their
        tasks are skipped, which alone would read as "nothing to do").
    """
    succeeded, failed, not_started = [], [], []
    for index, label in enumerate(labels):
        target_states = [states.get(f"{task_id}_{index}") for task_id in task_ids]
        if any(state == "failed" for state in target_states):
            failed.append(label)
        elif index in never_started:
            not_started.append(label)
        elif all(state in DONE_STATES for state in target_states):
            succeeded.append(label)
        else:
            not_started.append(label)
    return WaveOutcome(tuple(succeeded), tuple(failed), tuple(not_started))


def tolerated_failures(total: int, count: int | None, percent: int | None) -> int:
    """How many failed targets a wave tolerates; a percentage is of the wave's targets, rounded down (StackSets)."""
    if percent is not None:
        return total * percent // 100
    return count or 0


def tolerance_exceeded(outcome: WaveOutcome, count: int | None, percent: int | None) -> bool:
    """Whether the wave failed: more failed targets than tolerated, or targets that never started."""
    total = len(outcome.succeeded) + len(outcome.failed) + len(outcome.not_started)
    return len(outcome.failed) > tolerated_failures(total, count, percent) or bool(outcome.not_started)


def failed_targets(states: Mapping[str, str | None], task_ids: Sequence[str]) -> tuple[set[int], int]:
    """The map indexes of the targets with a failed task, and how many targets the wave has.

    A task waiting to be retried is not failed (yet).
    """
    failed: set[int] = set()
    indexes: set[int] = set()
    for key, state in states.items():
        task_id, _, index = key.rpartition("_")
        if task_id in task_ids and index.isdigit():
            indexes.add(int(index))
            if state == "failed":
                failed.add(int(index))
    return failed, len(indexes)


def stop_starting(failed: int, total: int, count: int | None, percent: int | None) -> bool:
    """Whether no further target of the wave may start: more failed than tolerated (StackSets semantics)."""
    return failed > tolerated_failures(total, count, percent)
