"""The release's last word: which targets succeeded, failed or never started, in every wave."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow.sdk import BaseOperator, Context

from flightdeck.errors import FlightdeckError
from flightdeck.operators.base import fail_fast
from flightdeck.operators.recording import record_run_outcome
from flightdeck.operators.rollout import outcome_now
from flightdeck.plan import TargetCatalog

SUMMARY_KEY = "summary"  # XCom: the per-wave report, pushed whether the release succeeded or not


@dataclass(frozen=True)
class WaveTasks:
    """Where one wave's targets ran.

    :param environment: environment name.
    :param wave: wave name.
    :param labels: the labels of its targets listed in the manifest, in map-index order.
    :param task_ids: its mapped per-target tasks.
    :param selected: the environment's accounts selected at run time join this wave (labels come from XCom).
    """

    environment: str
    wave: str
    labels: tuple[str, ...]
    task_ids: tuple[str, ...]
    selected: bool = False


class ReleaseSummaryOperator(BaseOperator):
    """Runs last, whatever happened: reports every target's outcome, and fails the run unless all succeeded.

    The return value (XCom, shown in the run and readable over the REST API) lists per wave the targets that
    succeeded, failed and never started. A wave's failure tolerance lets later waves go on, but a release in which
    any target failed or never started is not a success: the run ends failed, naming them. Every target's outcome
    is also in the release ledger (those that never started are recorded here).

    :param waves: every wave of the release, in deploy order.
    :param application: application name (its attempts in the release ledger).
    :param catalogs: every environment's targets by label (to record the targets that never started).
    :param selected_labels: per environment that selects accounts, the labels its select task returned.
    """

    template_fields: Sequence[str] = ("selected_labels",)
    ui_color = "#eeeeee"

    def __init__(
        self,
        *,
        waves: Sequence[WaveTasks],
        application: str,
        catalogs: Mapping[str, TargetCatalog],
        selected_labels: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(trigger_rule="all_done", **kwargs)
        self.waves = list(waves)
        self.application = application
        self.catalogs = dict(catalogs)
        self.selected_labels = dict(selected_labels or {})

    @fail_fast
    def execute(self, context: Context) -> dict[str, Any]:
        ti = context["ti"]
        task_ids = [task_id for wave in self.waves for task_id in wave.task_ids]
        states = ti.get_task_states(dag_id=ti.dag_id, task_ids=task_ids, run_ids=[ti.run_id]).get(ti.run_id, {})
        report: list[dict[str, Any]] = []
        for wave in self.waves:
            labels = list(self.selected_labels.get(wave.environment) or []) if wave.selected else list(wave.labels)
            outcome = outcome_now(context, states, wave.task_ids, labels)
            self.log.info("%s/%s: %s", wave.environment, wave.wave, outcome.summary())
            report.append(
                {
                    "environment": wave.environment,
                    "wave": wave.wave,
                    "succeeded": list(outcome.succeeded),
                    "failed": list(outcome.failed),
                    "not_started": list(outcome.not_started),
                }
            )
        ti.xcom_push(key=SUMMARY_KEY, value=report)  # kept when the run fails too
        record_run_outcome(context, self.application, self.catalogs, report)
        failed = [label for wave in report for label in wave["failed"]]
        not_started = [label for wave in report for label in wave["not_started"]]
        if failed or not_started:
            raise FlightdeckError(
                f"Release incomplete: {len(failed)} target(s) failed, {len(not_started)} never started. Failed: "
                f"{', '.join(failed) or 'none'}. Never started: {', '.join(not_started) or 'none'}. Clear a target's "
                "prepare and deploy groups to run it again (docs/rollout.md)"
            )
        succeeded = sum(len(wave["succeeded"]) for wave in report)
        self.log.info("Release complete: %d target(s) succeeded", succeeded)
        return {"waves": report}
