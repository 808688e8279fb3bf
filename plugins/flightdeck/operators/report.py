"""The report of a dry run: what a release would change in every target, as Markdown and as a JSON matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator, Context

from flightdeck.changes import ChangeSummary
from flightdeck.operators.base import fail_fast


class DryRunReportOperator(BaseOperator):
    """At the end of a dry run, publish the diff matrix of every target.

    The Markdown is written to the task's log; the return value (XCom ``return_value``, shown in the run's
    XCom tab and readable over the REST API) holds the Markdown and the JSON matrix. In a real release it reports
    ``{"dry_run": False}`` and succeeds rather than skipping: Airflow's supervisor reports a skip only once the
    task's process is reaped, which can take seconds, at the very end of every release.

    :param change_set_task_ids: every wave's create_change_set task, in deploy order.
    """

    ui_color = "#f0e8fb"

    def __init__(self, *, change_set_task_ids: Sequence[str], **kwargs: Any) -> None:
        super().__init__(trigger_rule="none_failed", **kwargs)
        self.change_set_task_ids = list(change_set_task_ids)

    @fail_fast
    def execute(self, context: Context) -> dict[str, Any]:
        if not context["params"].get("dry_run"):
            self.log.info("Not a dry run: the release itself is the report.")
            return {"dry_run": False, "version": context["params"]["version"]}
        ti = context["ti"]
        change_sets = [cs for task_id in self.change_set_task_ids for cs in ti.xcom_pull(task_ids=[task_id]) or []]
        matrix = [_row(change_set) for change_set in change_sets]
        markdown = dry_run_markdown(context["params"]["version"], matrix)
        self.log.info("Dry run report\n%s", markdown)
        return {"dry_run": True, "version": context["params"]["version"], "markdown": markdown, "matrix": matrix}


def _row(change_set: dict[str, Any]) -> dict[str, Any]:
    summary = ChangeSummary.from_dict(change_set["review"]["summary"])
    return {
        "label": change_set["label"],
        "account_id": change_set["account_id"],
        "region": change_set["region"],
        "stack_name": change_set["stack_name"],
        "change_set_type": "" if change_set["is_empty"] else change_set["change_set_type"],
        "headline": summary.headline(),
        "needs_person": summary.needs_person,
        "flags": [flag.message for flag in summary.flags],
        "summary": summary.to_dict(),
    }


def dry_run_markdown(version: str, matrix: Sequence[dict[str, Any]]) -> str:
    """The diff matrix as Markdown: one row per target, flagged changes listed first."""
    lines = [f"# Dry run of version `{version}`", "", "Nothing was deployed; every change set was deleted.", ""]
    flagged = [(row["label"], flag) for row in matrix for flag in row["flags"]]
    if flagged:
        lines += ["## Would need a person", "", *[f"- ⚠️ `{label}`: {flag}" for label, flag in flagged], ""]
    lines += ["| target | stack | type | changes |", "|---|---|---|---|"]
    for row in matrix:
        lines.append(f"| {row['label']} | {row['stack_name']} | {row['change_set_type'] or '—'} | {row['headline']} |")
    return "\n".join(lines)
