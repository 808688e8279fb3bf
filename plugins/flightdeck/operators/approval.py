"""The approval gate of a wave (or of one target): a person sees every change, then approves or rejects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from airflow.providers.amazon.aws.notifications.sns import SnsNotifier
from airflow.providers.standard.exceptions import HITLRejectException, HITLTimeoutError
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import Context, conf, timezone
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck.aws.discard import discard_change_set
from flightdeck.changes import ChangeSummary, TargetReview, auto_approves, review_markdown
from flightdeck.errors import FlightdeckError
from flightdeck.operators.base import fail_fast, target_session
from flightdeck.operators.recording import record_approval
from flightdeck.operators.rollout import WaveRules
from flightdeck.plan import Approval, TargetCatalog

AUTOMATIC = "flightdeck (no person needed)"


class ReleaseGateOperator(ApprovalOperator):
    """Human-in-the-loop approval of a wave's change sets (or of one target's, when mapped per target).

    Passes by itself when the manifest's rules allow (approval not required, or ``auto_approve`` met) and no
    change is flagged; a flagged change (a stateful resource replaced or removed, IAM or network access widened)
    always waits for one of the manifest's approvers. Never the user who triggered the run: the server refuses
    anyone not in ``assigned_users``. The answer is returned as the approval record (who, when, and each change
    set's id and fingerprint), which execute checks before executing. Reject or timeout deletes the change sets
    and fails the task, so nothing executes and the run cannot be mistaken for a successful release. In a dry run
    the gate publishes the review, deletes the change sets and asks nobody.

    :param environment: environment name.
    :param application: application name.
    :param approval: the environment's approval rules.
    :param change_set_task_id: the mapped task whose XComs describe the change sets.
    :param targets: the environment's targets by label.
    :param aws_conn_id: Airflow connection of the orchestrator (to delete change sets, to notify).
    :param execution: ``orchestrator``, or ``account-owner`` (the body tells the owners what to run).
    :param target_label: per-target gates only: this instance's target (mapped).
    :param wave_rules: the wave's failure tolerance: when more targets failed to prepare than it tolerates, the
        gate fails (deleting the change sets that were made) instead of asking.
    """

    template_fields: Sequence[str] = (*ApprovalOperator.template_fields, "target_label")
    ui_color = "#fff4c2"

    def __init__(
        self,
        *,
        environment: str,
        application: str,
        approval: Approval,
        change_set_task_id: str,
        targets: TargetCatalog,
        aws_conn_id: str | None,
        execution: str = "orchestrator",
        target_label: str | None = None,
        wave_rules: WaveRules | None = None,
        **kwargs: Any,
    ) -> None:
        # A target that failed to prepare leaves the others to the gate, within the wave's failure tolerance.
        kwargs.setdefault("trigger_rule", "all_done_min_one_success")
        super().__init__(**gate_arguments(approval, f"Release {application} to {environment}"), **kwargs)
        self.environment = environment
        self.application = application
        self.approval = approval
        self.change_set_task_id = change_set_task_id
        self.targets = targets
        self.aws_conn_id = aws_conn_id
        self.execution = execution
        self.target_label = target_label
        self.wave_rules = wave_rules

    @fail_fast
    def execute(self, context: Context) -> Any:
        change_sets = self._change_sets(context)
        if not change_sets:
            raise AirflowSkipException(f"{self._scope}: no change set was made, so there is nothing to approve")
        self._stop_if_wave_failed(context, change_sets)
        summaries = [ChangeSummary.from_dict(change_set["review"]["summary"]) for change_set in change_sets]
        triggered_by = context["dag_run"].triggering_user_name
        if context["params"].get("dry_run"):
            return self._publish_dry_run(context, change_sets, triggered_by)
        allowed = who_must_approve(self.approval, summaries, triggered_by, scope=self._scope)
        if not allowed:
            self.log.info("%s passes without a person: %s", self._scope, _headlines(change_sets))
            return self._approved(context, change_sets, AUTOMATIC)
        self.assigned_users = [{"id": user, "name": user} for user in allowed]
        self.body = review_markdown(
            [_target_review(change_set) for change_set in change_sets],
            version=context["params"]["version"],
            triggered_by=triggered_by,
            approvers=allowed,
            run_link=_run_link(context),
            execution_hint=self._execution_hint(change_sets),
        )
        self.notifiers = [self._notifier(topic, change_sets, context) for topic in self.approval.notify]
        return super().execute(context)

    @fail_fast
    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        change_sets = self._change_sets(context)
        try:
            answer = super().execute_complete(context=context, event=event)
        except (HITLRejectException, HITLTimeoutError) as err:
            who = (event.get("responded_by_user") or {}).get("name", "?")
            outcome = "timed out" if isinstance(err, HITLTimeoutError) else f"was rejected by {who}"
            self.log.error("Release to %s %s: %s", self._scope, outcome, _headlines(change_sets))
            self._delete_change_sets(context, change_sets)
            raise FlightdeckError(
                f"Release to {self._scope} {outcome}: its change sets were deleted and nothing was executed."
            ) from err
        who = (answer["responded_by_user"] or {}).get("name") or "nobody: the response timeout passed"
        self.log.info("Release to %s approved by %s: %s", self._scope, who, _headlines(change_sets))
        return self._approved(context, change_sets, who)

    def _approved(self, context: Context, change_sets: list[dict[str, Any]], who: str) -> dict[str, Any]:
        """What execute checks (XCom), with the approval also recorded on the targets' ledger attempts."""
        approved = [self.targets[change_set["label"]] for change_set in change_sets]
        targets = [(target.account_id, target.region) for target in approved]
        record_approval(context, self.environment, who, targets)
        return _record(change_sets, who, "Approve")

    @property
    def _scope(self) -> str:
        return self.target_label or self.environment

    def _change_sets(self, context: Context) -> list[dict[str, Any]]:
        """The change sets made for this gate's targets (none for a target whose prepare step failed)."""
        ti = context["ti"]
        if self.target_label is not None:
            found = [ti.xcom_pull(task_ids=self.change_set_task_id, map_indexes=ti.map_index)]
        else:
            found = list(ti.xcom_pull(task_ids=[self.change_set_task_id]))
        return [change_set for change_set in found if change_set is not None]

    def _stop_if_wave_failed(self, context: Context, change_sets: list[dict[str, Any]]) -> None:
        """Fail (deleting the change sets made) when more targets failed to prepare than the wave tolerates."""
        if self.wave_rules is None:
            return
        failed, total = self.wave_rules.failed(context)
        if not self.wave_rules.exceeded(len(failed), total):
            return
        self._delete_change_sets(context, change_sets)
        raise FlightdeckError(
            f"Wave {self.wave_rules.wave}: {len(failed)} of {total} target(s) failed to prepare, more than it "
            "tolerates; the change sets of the others were deleted and nothing was executed"
        )

    def _delete_change_sets(self, context: Context, change_sets: list[dict[str, Any]]) -> None:
        for change_set in change_sets:
            if change_set["is_empty"]:
                continue
            target = self.targets[change_set["label"]]
            session = target_session(target, self.aws_conn_id, context)
            discard_change_set(session, stack_name=target.stack_name, change_set_id=change_set["id"])
            self.log.info("Deleted change set %s of %s", change_set["id"], target.label)

    def _publish_dry_run(
        self, context: Context, change_sets: list[dict[str, Any]], triggered_by: str | None
    ) -> dict[str, Any]:
        report = review_markdown(
            [_target_review(change_set) for change_set in change_sets],
            version=context["params"]["version"],
            triggered_by=triggered_by,
            approvers=self.approval.approvers,
            run_link=_run_link(context),
        )
        self.log.info("Dry run of %s: what a release would change\n%s", self._scope, report)
        self._delete_change_sets(context, change_sets)
        return {**_record(change_sets, "", "DryRun"), "report_markdown": report}

    def _execution_hint(self, change_sets: list[dict[str, Any]]) -> str | None:
        if self.execution != "account-owner":
            return None
        commands = [f"`flightdeck execute {cs['id']}`" for cs in change_sets if not cs["is_empty"]]
        return (
            "After approval, **each account's owner executes** their change set, with their own credentials: "
            "in the CloudFormation console, or with " + ", ".join(commands) + ". The release waits for it, then "
            "runs the smoke tests."
        )

    def _notifier(self, topic: str, change_sets: list[dict[str, Any]], context: Context) -> SnsNotifier:
        lines = [f"{self.subject}: approval requested for version {context['params']['version']}.", ""]
        lines += [f"{cs['label']}: {ChangeSummary.from_dict(cs['review']['summary']).headline()}" for cs in change_sets]
        lines += ["", f"Review and answer: {_run_link(context)}"]
        return SnsNotifier(
            aws_conn_id=self.aws_conn_id,
            target_arn=topic,
            subject=self.subject[:100],
            message="\n".join(lines),
            region_name=topic.split(":")[3],
        )


def gate_arguments(approval: Approval, subject: str) -> dict[str, Any]:
    """The Human-in-the-loop arguments of a gate that follows the manifest's approval rules."""
    return {
        "subject": subject,
        "fail_on_reject": True,
        "response_timeout": timedelta(seconds=approval.timeout_seconds) if approval.timeout_seconds else None,
        # Without defaults a timeout fails the gate (reject); with them the scheduler answers Approve.
        "defaults": [ApprovalOperator.APPROVE] if approval.on_timeout == "approve" else None,
        "assigned_users": [{"id": user, "name": user} for user in approval.approvers],
    }


def who_must_approve(
    approval: Approval, summaries: Sequence[ChangeSummary], triggered_by: str | None, *, scope: str
) -> list[str]:
    """The users who must answer the gate; none when it passes by itself.

    It passes by itself when no change is flagged and approval is not required, or ``auto_approve`` allows
    every summary. A flagged change always needs a person, even where approval is not required.

    :raises FlightdeckError: when a person is needed but nobody may answer (no approvers, or only the user who
        triggered the run: separation of duties).
    """
    flagged = any(summary.needs_person for summary in summaries)
    if not flagged and (not approval.required or auto_approves(approval.auto_approve, summaries)):
        return []
    if not approval.approvers:
        raise FlightdeckError(
            f"{scope} has changes that always need a person (a stateful resource replaced or removed, or IAM or "
            f"network access widened: see the log), but its environment names no approvers: add "
            "approval.approvers to the manifest (required: false keeps other changes automatic)"
        )
    allowed = [user for user in approval.approvers if user != triggered_by]
    if not allowed:
        raise FlightdeckError(
            f"No one may approve {scope}: the only approver ({triggered_by}) triggered this run. Add another "
            "approver to the manifest or have someone else trigger the release."
        )
    return allowed


def _target_review(change_set: dict[str, Any]) -> TargetReview:
    return TargetReview(
        label=change_set["label"],
        stack_name=change_set["stack_name"],
        change_set_id=change_set["id"],
        change_set_name=change_set["name"],
        change_set_type="—" if change_set["is_empty"] else change_set["change_set_type"],
        summary=ChangeSummary.from_dict(change_set["review"]["summary"]),
    )


def _record(change_sets: list[dict[str, Any]], who: str, answer: str) -> dict[str, Any]:
    """What was approved, by whom and when: each change set's id and fingerprint (execute checks them)."""
    return {
        "answer": answer,
        "approved_by": who,
        "at": timezone.utcnow().isoformat(),
        "change_sets": {
            cs["label"]: {"id": cs["id"], "fingerprint": cs["review"]["fingerprint"]} for cs in change_sets
        },
    }


def _headlines(change_sets: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{cs['label']}: {ChangeSummary.from_dict(cs['review']['summary']).headline()}" for cs in change_sets
    )


def _run_link(context: Context) -> str:
    base_url = conf.get("api", "base_url", fallback="").rstrip("/")
    return f"{base_url}/dags/{context['dag'].dag_id}/runs/{quote(context['run_id'], safe='')}"
