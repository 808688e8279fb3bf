"""The gate of an environment's refresh: passes by itself unless the environment requires approval and it changes."""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.exceptions import HITLRejectException, HITLTimeoutError
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import Context, timezone
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck.aws.discard import discard_change_set
from flightdeck.errors import FlightdeckError
from flightdeck.ledger import AttemptKind, Outcome
from flightdeck.operators.approval import AUTOMATIC, gate_arguments
from flightdeck.operators.base import fail_fast, target_session
from flightdeck.operators.recording import task_ledger
from flightdeck.plan import Approval, TargetCatalog


class RefreshGateOperator(ApprovalOperator):
    """Human-in-the-loop gate before an environment's refresh change sets are executed.

    A refresh redeploys a version that was approved and verified already, so the gate passes by itself, except
    where the environment's ``approval.required`` is true and a change set would change something (put drifted
    resources back): then one of the environment's approvers answers (nobody triggers a scheduled run, so any of
    them may). ``approval.timeout`` and ``on_timeout`` apply as in a release. Reject or timeout deletes the change
    sets and fails the task: nothing is executed. Returns ``{"approved_by", "at", "change_sets": {label: id}}``.

    :param environment: environment name.
    :param application: application name.
    :param approval: the environment's approval rules.
    :param change_set_task_id: the mapped task whose XComs describe the refresh change sets.
    :param detect_task_id: the mapped task whose XComs hold the drift reports.
    :param targets: the environment's targets by label.
    :param aws_conn_id: Airflow connection of the orchestrator (to delete change sets).
    """

    ui_color = "#fff4c2"

    def __init__(
        self,
        *,
        environment: str,
        application: str,
        approval: Approval,
        change_set_task_id: str,
        detect_task_id: str,
        targets: TargetCatalog,
        aws_conn_id: str | None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("trigger_rule", "all_done")  # a target that failed leaves the others to refresh
        super().__init__(**gate_arguments(approval, f"Refresh {application} in {environment}"), **kwargs)
        self.environment = environment
        self.application = application
        self.approval = approval
        self.change_set_task_id = change_set_task_id
        self.detect_task_id = detect_task_id
        self.targets = targets
        self.aws_conn_id = aws_conn_id

    @fail_fast
    def execute(self, context: Context) -> Any:
        change_sets = self._change_sets(context)
        if not change_sets:
            raise AirflowSkipException(f"{self.environment}: no refresh change set was made; nothing to let through")
        changing = [change_set for change_set in change_sets if not change_set["is_empty"]]
        if not changing or not self.approval.required:
            self.log.info("Refresh of %s passes without a person: %s", self.environment, _headlines(change_sets))
            return self._approved(context, change_sets, AUTOMATIC)
        if not self.approval.approvers:
            raise FlightdeckError(
                f"The refresh of {self.environment} would change {len(changing)} stack(s), and the environment "
                "requires approval, but names no approvers: add approval.approvers to the manifest"
            )
        self.body = self._body(context, changing)
        return super().execute(context)

    @fail_fast
    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        change_sets = self._change_sets(context)
        try:
            answer = super().execute_complete(context=context, event=event)
        except (HITLRejectException, HITLTimeoutError) as err:
            outcome = "timed out" if isinstance(err, HITLTimeoutError) else "was rejected"
            message = f"Refresh of {self.environment} {outcome}: its change sets were deleted and nothing was executed"
            for change_set in change_sets:
                target = self.targets[change_set["label"]]
                session = target_session(target, self.aws_conn_id, context)
                discard_change_set(session, stack_name=target.stack_name, change_set_id=change_set["id"])
            for detected in self._detected(context):
                task_ledger().finish_attempt(int(detected["attempt_id"]), Outcome.FAILED, message=message)
            raise FlightdeckError(message) from err
        who = (answer["responded_by_user"] or {}).get("name") or "nobody: the response timeout passed"
        self.log.info("Refresh of %s approved by %s", self.environment, who)
        return self._approved(context, change_sets, who)

    def _approved(self, context: Context, change_sets: list[dict[str, Any]], who: str) -> dict[str, Any]:
        """What execute checks (XCom), with who let it through also on the targets' refresh attempts."""
        approved = [self.targets[change_set["label"]] for change_set in change_sets]
        task_ledger().record_approval(
            dag_id=context["dag"].dag_id,
            run_id=context["run_id"],
            environment=self.environment,
            approved_by=who,
            targets=[(target.account_id, target.region) for target in approved],
            kind=AttemptKind.REFRESH,
        )
        return _record(change_sets, who)

    def _change_sets(self, context: Context) -> list[dict[str, Any]]:
        found = context["ti"].xcom_pull(task_ids=[self.change_set_task_id]) or []
        return [change_set for change_set in found if change_set is not None]

    def _detected(self, context: Context) -> list[dict[str, Any]]:
        found = context["ti"].xcom_pull(task_ids=[self.detect_task_id]) or []
        return [detected for detected in found if detected is not None]

    def _body(self, context: Context, changing: list[dict[str, Any]]) -> str:
        reports = {detected["label"]: detected["drift"] for detected in self._detected(context)}
        lines = [
            f"The nightly refresh of **{self.application}** in **{self.environment}** would redeploy the last "
            "verified release of these stacks, putting drifted resources back to their template values:",
            "",
            "| target | version | drifted resources | changes |",
            "|---|---|---|---|",
        ]
        for change_set in changing:
            drift = reports.get(change_set["label"]) or {}
            drifted = ", ".join(f"{r['logical_id']} ({r['status']})" for r in drift.get("resources", ())) or "—"
            changes = ", ".join(f"{c['action']} {c['logical_id']}" for c in change_set["changes"]) or "—"
            lines.append(f"| {change_set['label']} | {change_set['version']} | {drifted} | {changes} |")
        lines += ["", "Reject to keep the stacks as they are (the change sets are deleted)."]
        return "\n".join(lines)


def _record(change_sets: list[dict[str, Any]], who: str) -> dict[str, Any]:
    """Which change sets the gate let through, by whom and when (execute checks the id)."""
    return {
        "approved_by": who,
        "at": timezone.utcnow().isoformat(),
        "change_sets": {cs["label"]: cs["id"] for cs in change_sets if not cs["is_empty"]},
    }


def _headlines(change_sets: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{cs['label']}: " + ("in sync" if cs["is_empty"] else f"{len(cs['changes'])} resource(s) to put back")
        for cs in change_sets
    )
