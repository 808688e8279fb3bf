"""The end of a wave: enforce its failure tolerance, then bake before the next wave starts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.providers.standard.triggers.temporal import DateTimeTrigger
from airflow.sdk import BaseOperator, Context, timezone
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck.errors import FlightdeckError
from flightdeck.operators.base import fail_fast
from flightdeck.operators.rollout import outcome_now
from flightdeck.waves import tolerance_exceeded


class WaveCheckOperator(BaseOperator):
    """Runs when every target of a wave is done, whatever their states: fails if too many failed or any never
    started, else bakes. A failed check leaves the next wave and environment upstream_failed.

    Its trigger rule is ``all_done``: ``all_done_min_one_success`` skips the task as soon as one upstream task was
    skipped (a target with nothing to change, or one that never started), and a skipped check would let the next
    wave start. A wave that never started (an earlier wave, the gate or preflight stopped the release) fails its
    check too, saying so. In a dry run nothing was deployed: the check is skipped.

    :param wave: ``<environment>/<wave>`` for messages.
    :param labels: the wave's target labels, in map-index order (what ``select_accounts`` returned, for a wave
        that accounts selected at run time join).
    :param task_ids: the wave's mapped tasks (every target runs each of them).
    :param failure_tolerance_count: failed targets tolerated (None when a percentage is set).
    :param failure_tolerance_percent: failed targets tolerated, as a percentage of the wave.
    :param bake_time_seconds: how long to wait after a healthy wave.
    """

    template_fields: Sequence[str] = ("labels",)
    ui_color = "#eeeeee"

    def __init__(
        self,
        *,
        wave: str,
        labels: Sequence[str] | Any,
        task_ids: Sequence[str],
        failure_tolerance_count: int | None,
        failure_tolerance_percent: int | None,
        bake_time_seconds: int,
        **kwargs: Any,
    ) -> None:
        # Retried: a short bake resumes before the scheduler has seen the deferring worker exit, and Airflow 3.3
        # then fails the task as "killed externally" (docs/architecture.md, deferrable waits). The check is
        # idempotent: a retry counts the wave again and bakes again.
        kwargs.setdefault("retries", 2)
        kwargs.setdefault("retry_delay", timedelta(seconds=5))
        super().__init__(trigger_rule="all_done", **kwargs)
        self.wave = wave
        self.labels = labels
        self.wave_task_ids = list(task_ids)
        self.failure_tolerance_count = failure_tolerance_count
        self.failure_tolerance_percent = failure_tolerance_percent
        self.bake_time_seconds = bake_time_seconds

    @fail_fast
    def execute(self, context: Context) -> None:
        if context["params"].get("dry_run"):
            raise AirflowSkipException(f"Wave {self.wave}: dry run, nothing was deployed, nothing to check")
        ti = context["ti"]
        states = ti.get_task_states(dag_id=ti.dag_id, task_ids=self.wave_task_ids, run_ids=[ti.run_id])
        outcome = outcome_now(context, states.get(ti.run_id, {}), self.wave_task_ids, self.labels)
        self.log.info("Wave %s: %s", self.wave, outcome.summary())
        if outcome.not_started and not outcome.succeeded and not outcome.failed:
            raise FlightdeckError(
                f"Wave {self.wave} never started: an earlier step stopped the release (see the first failed task). "
                f"{outcome.summary()}"
            )
        if tolerance_exceeded(outcome, self.failure_tolerance_count, self.failure_tolerance_percent):
            raise FlightdeckError(f"Wave {self.wave} failed beyond its tolerance: {outcome.summary()}")
        if self.bake_time_seconds:
            self.log.info("Baking %s for %d s before the next wave", self.wave, self.bake_time_seconds)
            moment = timezone.utcnow() + timedelta(seconds=self.bake_time_seconds)
            self.defer(trigger=DateTimeTrigger(moment=moment), method_name="execute_complete")

    def execute_complete(self, context: Context, event: Any = None) -> None:
        self.log.info("Wave %s baked.", self.wave)
