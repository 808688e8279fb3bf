"""A wave's rollout rules as its tasks see them: once it failed beyond its tolerance, no new target starts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck.waves import DONE_STATES, WaveOutcome, failed_targets, stop_starting, wave_outcome

# XCom key a target's task pushes when it did not start because the wave had failed already.
NEVER_STARTED = "never_started"


@dataclass(frozen=True)
class WaveRules:
    """What a wave's per-target tasks need to honour its failure tolerance.

    :param wave: ``<environment>/<wave>``, for messages.
    :param task_ids: the wave's mapped per-target tasks (every target runs each of them).
    :param failure_tolerance_count: failed targets tolerated (None when a percentage is set).
    :param failure_tolerance_percent: failed targets tolerated, as a percentage of the wave.
    """

    wave: str
    task_ids: tuple[str, ...]
    failure_tolerance_count: int | None = 0
    failure_tolerance_percent: int | None = None

    def failed(self, context: Context) -> tuple[set[int], int]:
        """The map indexes of the wave's failed targets now, and the wave's number of targets."""
        ti = context["ti"]
        states = ti.get_task_states(dag_id=ti.dag_id, task_ids=list(self.task_ids), run_ids=[ti.run_id])
        return failed_targets(states.get(ti.run_id, {}), self.task_ids)

    def exceeded(self, failed: int, total: int) -> bool:
        return stop_starting(failed, total, self.failure_tolerance_count, self.failure_tolerance_percent)


def stop_if_wave_failed(context: Context, rules: WaveRules | None, label: str, stage: str) -> None:
    """Skip this target's ``stage`` (marked never started) if its wave failed beyond its tolerance already.

    Only a first try is stopped: a retry continues what started, and a task someone cleared runs because they
    asked for it (re-running failed targets).
    """
    ti = context["ti"]
    if rules is None or ti.try_number > 1:
        return
    failed, total = rules.failed(context)
    if not rules.exceeded(len(failed), total):
        return
    reason = (
        f"{label}: {stage} not started: wave {rules.wave} has {len(failed)} failed target(s) of {total}, more than "
        "it tolerates, so no further target starts (targets already running finish)"
    )
    ti.xcom_push(key=NEVER_STARTED, value=reason)
    raise AirflowSkipException(reason)


def outcome_now(
    context: Context, states: Mapping[str, str | None], task_ids: Sequence[str], labels: Sequence[str]
) -> WaveOutcome:
    """The wave's outcome from its tasks' states, telling targets that never started from skipped ones."""
    candidates = {
        index
        for index in range(len(labels))
        if all(states.get(f"{task_id}_{index}") in DONE_STATES for task_id in task_ids)
        and any(states.get(f"{task_id}_{index}") == "skipped" for task_id in task_ids)
    }
    return wave_outcome(states, task_ids, labels, never_started=never_started(context, task_ids, candidates))


def never_started(context: Context, task_ids: Sequence[str], candidates: Iterable[int]) -> set[int]:
    """Those of the ``candidates`` (map indexes) whose tasks among ``task_ids`` marked them never started."""
    ti = context["ti"]
    indexes = sorted(candidates)
    if not indexes:
        return set()
    marked: set[int] = set()
    for task_id in task_ids:
        values: list[Any] = ti.xcom_pull(task_ids=task_id, key=NEVER_STARTED, map_indexes=indexes) or []
        marked |= {index for index, value in zip(indexes, values, strict=False) if value}
    return marked
