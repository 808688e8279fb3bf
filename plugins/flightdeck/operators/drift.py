"""Detect drift on a target's deployed stack, and report it in the run and the ledger (never any value)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck import naming
from flightdeck.aws.drift import DetectionStatus, drift_report, start_drift_detection
from flightdeck.aws.releases import read_release_record
from flightdeck.aws.session import AccountSession
from flightdeck.aws.stacks import StackState, blocked_error, describe_stack
from flightdeck.operators.base import fail_fast, trigger_failure
from flightdeck.operators.refresh_records import RefreshStep, record_drift, records_failure, start_refresh_attempt
from flightdeck.triggers import DriftDetectionTrigger

DRIFT_KEY = "drift"  # XCom: the drift report alone (also inside the return value)


class DetectDriftOperator(RefreshStep):
    """Run CloudFormation drift detection on the target's stack and report what drifted.

    A target with no stack deployed is skipped (nothing to refresh). Otherwise the target's refresh attempt is
    started in the ledger (kind ``refresh``, the version of its last verified release), drift detection is
    started and waited for deferrably (:class:`DriftDetectionTrigger`), and the report (stack drift status, each
    drifted resource with its property paths and difference types; no value, since a parameter or environment
    variable may be a secret) is logged, returned, pushed as XCom ``drift`` and recorded on the attempt.

    :param application: application name (where the last verified release is recorded).
    :param poll_seconds: how often the trigger looks at the detection.
    """

    ui_color = "#f3e8fb"

    def __init__(self, *, application: str, poll_seconds: float = 5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.application = application
        self.poll_seconds = poll_seconds

    @fail_fast
    def execute(self, context: Context) -> dict[str, Any]:
        target = self.target
        session = self.target_session(context)
        stack = describe_stack(session, target.stack_name)
        if stack is None or stack.status == "REVIEW_IN_PROGRESS":
            raise AirflowSkipException(
                f"{target.label}: no stack {target.stack_name} is deployed in account {target.account_id}, region "
                f"{target.region}: nothing to refresh"
            )
        record = read_release_record(session, target.artifact_bucket, self.application, target.stack_name)
        version = record.version if record else stack.tags.get(naming.VERSION_TAG, "unknown")
        recorded = record.to_dict() if record else None
        attempt_id = start_refresh_attempt(
            context, self, application=self.application, version=version, record=recorded
        )
        prepared = {"version": version, "record": recorded, "attempt_id": attempt_id}
        return self._detect(context, session, stack, prepared)

    @records_failure
    def _detect(
        self, context: Context, session: AccountSession, stack: StackState, prepared: dict[str, Any]
    ) -> dict[str, Any]:
        target = self.target
        self._attempt_id = prepared["attempt_id"]
        blocked = blocked_error(stack, account=target.account_id, region=target.region)
        if blocked is not None:
            raise blocked
        detection_id = start_drift_detection(session, target.stack_name)
        self.log.info("%s: detecting drift on %s (%s)", target.label, target.stack_name, detection_id)
        trigger = DriftDetectionTrigger(
            detection_id=detection_id,
            stack_name=target.stack_name,
            **self.trigger_arguments(context),
            waiter_delay=self.poll_seconds,
        )
        event = trigger.poll(session)  # one look first: a quick detection needs no deferral
        if event is None:
            self.defer(trigger=trigger, method_name="detection_finished", kwargs={"prepared": prepared})
        return self._report(context, session, event, prepared)

    @fail_fast
    def detection_finished(self, context: Context, event: dict[str, Any], prepared: dict[str, Any]) -> dict[str, Any]:
        """Resume when the detection is over."""
        return self._finished(context, event, prepared)

    _attempt_id: int | None = None  # this target's attempt, once started

    def attempt_id(self, context: Context) -> int | None:
        return self._attempt_id

    @records_failure
    def _finished(self, context: Context, event: dict[str, Any], prepared: dict[str, Any]) -> dict[str, Any]:
        self._attempt_id = prepared["attempt_id"]
        return self._report(context, self.target_session(context), event, prepared)

    def _report(
        self, context: Context, session: AccountSession, event: dict[str, Any], prepared: dict[str, Any]
    ) -> dict[str, Any]:
        target = self.target
        if event["outcome"] not in ("complete", "failed"):
            raise trigger_failure(target, event, f"Drift detection on {target.stack_name} ended {event['outcome']}")
        status = DetectionStatus(
            detection_status="DETECTION_COMPLETE" if event["outcome"] == "complete" else "DETECTION_FAILED",
            stack_drift_status=event.get("status") or "UNKNOWN",
            drifted_count=int(event.get("drifted_count") or 0),
            reason=event.get("reason") or "",
        )
        report = drift_report(session, target.stack_name, status)
        (self.log.warning if report.drifted else self.log.info)("%s: %s", target.label, report.headline())
        if report.reason:
            self.log.warning("%s: drift detection could not check everything: %s", target.label, report.reason)
        record_drift(prepared["attempt_id"], report)
        context["ti"].xcom_push(key=DRIFT_KEY, value=report.to_dict())
        return {**prepared, "label": target.label, "stack_name": target.stack_name, "drift": report.to_dict()}
