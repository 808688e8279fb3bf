"""Wait until a stack's drift detection is over."""

from __future__ import annotations

from typing import Any

from flightdeck.aws.drift import drift_detection_status
from flightdeck.aws.session import AccountSession
from flightdeck.triggers.base import CloudFormationTrigger, EventOutcome


class DriftDetectionTrigger(CloudFormationTrigger):
    """Fires when a drift detection has finished (``cloudformation:DescribeStackDriftDetectionStatus`` per poll).

    Outcomes: ``complete`` (``status`` is the stack's drift status), ``failed`` (``DETECTION_FAILED``: some resources
    could not be checked; ``status`` and ``reason`` say what is known), ``timeout``, ``error``. Takes the arguments
    of :class:`~flightdeck.triggers.base.CloudFormationTrigger` with ``detection_id`` instead of a change set;
    polls every 5 s by default. Events: ``{"outcome", "stack_name", "detection_id", "status", "drifted_count",
    "reason"}``.
    """

    default_delay = 5
    waiting_for = "drift detection"

    def __init__(self, *, detection_id: str, **kwargs: Any) -> None:
        kwargs.pop("change_set_id", None)
        super().__init__(change_set_id="", **kwargs)
        self.detection_id = detection_id
        self._drifted_count = 0

    def serialize(self) -> tuple[str, dict[str, Any]]:
        path, kwargs = super().serialize()
        kwargs.pop("change_set_id")
        return path, {**kwargs, "detection_id": self.detection_id}

    def poll(self, session: AccountSession) -> dict[str, Any] | None:
        found = drift_detection_status(session, self.stack_name, self.detection_id)
        self.seen("drift detection", found.detection_status)
        if found.outcome == "pending":
            return None
        self._drifted_count = found.drifted_count
        outcome: EventOutcome = "complete" if found.outcome == "complete" else "failed"
        return self.event(outcome, status=found.stack_drift_status, reason=found.reason)

    def event(
        self,
        outcome: EventOutcome,
        *,
        status: str = "",
        execution_status: str = "",
        reason: str = "",
        outputs: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A drift event payload (same keys for every outcome)."""
        return {
            "outcome": outcome,
            "stack_name": self.stack_name,
            "detection_id": self.detection_id,
            "status": status,
            "drifted_count": self._drifted_count,
            "reason": reason,
        }
