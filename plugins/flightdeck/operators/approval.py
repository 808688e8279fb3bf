"""The approval gate of an environment: a person sees every change set, then approves or rejects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from airflow.providers.standard.exceptions import HITLRejectException, HITLTimeoutError
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import Context, conf
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck.aws.cloudformation import delete_change_set
from flightdeck.errors import FlightdeckError
from flightdeck.operators.base import target_session
from flightdeck.operators.review import change_review_markdown
from flightdeck.plan import TargetCatalog


class ReleaseGateOperator(ApprovalOperator):
    """Human-in-the-loop approval of one environment's change sets.

    Only the manifest's approvers may answer, never the user who triggered the run (the server refuses anyone
    not in ``assigned_users``). Reject or timeout deletes the environment's change sets and fails the task, so
    nothing executes and the run cannot be mistaken for a successful release. With no change in any target
    the gate is skipped.

    :param environment: environment name.
    :param application: application name.
    :param approvers: Airflow user names allowed to answer.
    :param response_timeout_seconds: how long to wait for an answer; ``None`` waits forever.
    :param approve_on_timeout: a timeout approves (the manifest's ``on_timeout: approve``); by default it rejects.
    :param skip_when_unchanged: pass without a person when no target has a change (``auto_approve`` not never).
    :param change_set_task_id: the mapped task whose XComs describe the environment's change sets.
    :param aws_conn_id: Airflow connection of the orchestrator (to delete change sets on reject).
    :param targets: the environment's targets by label (selected accounts included).
    """

    ui_color = "#fff4c2"

    def __init__(
        self,
        *,
        environment: str,
        application: str,
        approvers: list[str],
        response_timeout_seconds: int | None,
        change_set_task_id: str,
        approve_on_timeout: bool = False,
        skip_when_unchanged: bool = True,
        aws_conn_id: str | None,
        targets: TargetCatalog,
        **kwargs: Any,
    ) -> None:
        timeout = timedelta(seconds=response_timeout_seconds) if response_timeout_seconds else None
        super().__init__(
            subject=f"Release {application} to {environment}",
            fail_on_reject=True,
            response_timeout=timeout,
            # Without defaults a timeout fails the gate (reject); with them the scheduler answers Approve.
            defaults=[ApprovalOperator.APPROVE] if approve_on_timeout else None,
            assigned_users=[{"id": user, "name": user} for user in approvers],
            **kwargs,
        )
        self.environment = environment
        self.application = application
        self.approvers = approvers
        self.change_set_task_id = change_set_task_id
        self.skip_when_unchanged = skip_when_unchanged
        self.aws_conn_id = aws_conn_id
        self.targets = targets

    def execute(self, context: Context) -> Any:
        change_sets = self._change_sets(context)
        if self.skip_when_unchanged and all(change_set["is_empty"] for change_set in change_sets):
            raise AirflowSkipException(f"No changes in any {self.environment} target: nothing to approve.")
        triggered_by = context["dag_run"].triggering_user_name
        allowed = [user for user in self.approvers if user != triggered_by]
        if not allowed:
            raise FlightdeckError(
                f"No one may approve {self.environment}: the only approver ({triggered_by}) triggered this run. "
                "Add another approver to the manifest or have someone else trigger the release."
            )
        self.assigned_users = [{"id": user, "name": user} for user in allowed]
        self.body = change_review_markdown(
            change_sets,
            version=context["params"]["version"],
            triggered_by=triggered_by,
            approvers=allowed,
            run_link=_run_link(context),
        )
        return super().execute(context)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        try:
            answer = super().execute_complete(context=context, event=event)
        except (HITLRejectException, HITLTimeoutError) as err:
            who = event.get("responded_by_user") or {}
            outcome = "timed out" if isinstance(err, HITLTimeoutError) else f"rejected by {who.get('name', '?')}"
            self.log.error("Release of %s to %s %s.", self.application, self.environment, outcome)
            self._delete_change_sets(context)
            raise FlightdeckError(
                f"Release to {self.environment} {outcome}: its change sets were deleted and nothing was executed."
            ) from err
        who = (answer["responded_by_user"] or {}).get("name") or "nobody: the response timeout passed"
        self.log.info("Release to %s approved by %s.", self.environment, who)
        return answer

    def _change_sets(self, context: Context) -> list[dict[str, Any]]:
        return list(context["ti"].xcom_pull(task_ids=[self.change_set_task_id]))

    def _delete_change_sets(self, context: Context) -> None:
        for change_set in self._change_sets(context):
            target = self.targets[change_set["label"]]
            if change_set["is_empty"]:
                continue
            session = target_session(target, self.aws_conn_id, context)
            delete_change_set(session, stack_name=target.stack_name, change_set_id=change_set["id"])
            self.log.info("Deleted change set %s of %s", change_set["id"], target.label)


def _run_link(context: Context) -> str:
    base_url = conf.get("api", "base_url", fallback="").rstrip("/")
    return f"{base_url}/dags/{context['dag'].dag_id}/runs/{quote(context['run_id'], safe='')}"
