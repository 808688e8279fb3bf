"""DriftDetectionTrigger: identifiers only, an event per detection outcome."""

from __future__ import annotations

import pytest

from flightdeck.aws.drift import DetectionStatus, classify_detection
from flightdeck.errors import FlightdeckError
from flightdeck.triggers import DriftDetectionTrigger, drift

ARGUMENTS = {
    "detection_id": "4f1c0de5-7a9b-4c6e-9d2a-0b1e2f3a4b5c",
    "stack_name": "hello-dev",
    "role_arn": "arn:aws:iam::111111111111:role/flightdeck-deploy",
    "region_name": "eu-west-1",
    "session_name": "refresh__hello.scheduled.abc",
    "external_id": "flightdeck-demo",
    "aws_conn_id": "aws_default",
}


def _trigger(monkeypatch: pytest.MonkeyPatch, *answers: DetectionStatus) -> DriftDetectionTrigger:
    statuses = list(answers)
    monkeypatch.setattr(drift, "drift_detection_status", lambda session, stack, detection: statuses.pop(0))
    return DriftDetectionTrigger(**ARGUMENTS)


def test_serialises_identifiers_only() -> None:
    path, kwargs = DriftDetectionTrigger(**ARGUMENTS, timeout=60).serialize()

    assert path == "flightdeck.triggers.drift.DriftDetectionTrigger"
    assert kwargs == {
        **ARGUMENTS,
        "waiter_delay": 5,
        "expected_seconds": None,
        "started_at": kwargs["started_at"],
        "timeout": 60,
        "deadline": kwargs["deadline"],
    }
    assert DriftDetectionTrigger(**kwargs).serialize() == (path, kwargs)  # the triggerer makes it again


def test_waits_while_in_progress_then_reports_the_stack_drift_status(monkeypatch: pytest.MonkeyPatch) -> None:
    trigger = _trigger(
        monkeypatch, DetectionStatus("DETECTION_IN_PROGRESS"), DetectionStatus("DETECTION_COMPLETE", "DRIFTED", 2)
    )

    assert trigger.poll(session=None) is None  # type: ignore[arg-type]
    assert trigger.poll(session=None) == {  # type: ignore[arg-type]
        "outcome": "complete",
        "stack_name": "hello-dev",
        "detection_id": ARGUMENTS["detection_id"],
        "status": "DRIFTED",
        "drifted_count": 2,
        "reason": "",
    }


def test_a_failed_detection_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    reason = "Failed to detect drift on resources [Function]"
    trigger = _trigger(monkeypatch, DetectionStatus("DETECTION_FAILED", "UNKNOWN", 0, reason))

    event = trigger.poll(session=None)  # type: ignore[arg-type]

    assert (event or {})["outcome"] == "failed"
    assert (event or {})["reason"] == reason


def test_timeout_and_error_events_have_the_same_keys() -> None:
    trigger = DriftDetectionTrigger(**ARGUMENTS)

    assert set(trigger.event("timeout", reason="Gave up")) == set(trigger.event("complete"))


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("DETECTION_IN_PROGRESS", "pending"), ("DETECTION_COMPLETE", "complete"), ("DETECTION_FAILED", "failed")],
)
def test_detection_statuses_are_classified(status: str, outcome: str) -> None:
    assert classify_detection(status) == outcome


def test_an_unknown_detection_status_raises() -> None:
    with pytest.raises(FlightdeckError, match="Unknown CloudFormation drift detection status 'DETECTION_PAUSED'"):
        classify_detection("DETECTION_PAUSED")
