"""Drift detection: ``DetectStackDrift``, ``DescribeStackDriftDetectionStatus``, ``DescribeStackResourceDrifts``,
``DetectStackResourceDrift`` and the ``DriftInformation`` of stacks and resources (moto 5.2.5: HTTP 500).

A detection runs synchronously; with ``stack_operation_seconds`` set (slow CloudFormation fault) its status shows
``DETECTION_IN_PROGRESS`` for that long. What is compared per resource type is in ``cfn_drift_properties``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

from flightdeck.localaws.cfn_drift_compare import ResourceDrift, check_resource
from flightdeck.localaws.faults import state as faults_state
from flightdeck.localaws.post_import import when_imported

if TYPE_CHECKING:  # imported by moto only after the models this module patches
    from moto.cloudformation.responses import CloudFormationResponse

# Stack statuses AWS detects drift in.
DETECTABLE = (
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "IMPORT_COMPLETE",
)
DRIFTED = ("MODIFIED", "DELETED")
STATUSES = ("IN_SYNC", "MODIFIED", "DELETED", "NOT_CHECKED", "UNKNOWN", "UNSUPPORTED")


@dataclass
class Detection:
    """One ``DetectStackDrift`` operation and its outcome."""

    detection_id: str
    stack_id: str
    timestamp: datetime
    stack_drift_status: str
    drifted: int
    failed: list[str]
    ready_at: float  # time.monotonic() from which it shows DETECTION_COMPLETE (or _FAILED)

    def to_dict(self) -> dict[str, Any]:
        """The ``DescribeStackDriftDetectionStatus`` answer."""
        answer: dict[str, Any] = {
            "StackId": self.stack_id,
            "StackDriftDetectionId": self.detection_id,
            "Timestamp": self.timestamp,
        }
        if time.monotonic() < self.ready_at:
            return {**answer, "DetectionStatus": "DETECTION_IN_PROGRESS"}
        answer.update(StackDriftStatus=self.stack_drift_status, DriftedStackResourceCount=self.drifted)
        if self.failed:
            answer["DetectionStatus"] = "DETECTION_FAILED"
            answer["DetectionStatusReason"] = f"Failed to detect drift on resources [{', '.join(self.failed)}]"
        else:
            answer["DetectionStatus"] = "DETECTION_COMPLETE"
        return answer


def _detections(backend: CloudFormationBackend) -> dict[str, Detection]:
    found: dict[str, Detection] | None = backend.__dict__.get("drift_detections")
    if found is None:
        found = backend.drift_detections = {}  # type: ignore[attr-defined]
    return found


def _results(stack: Stack) -> dict[str, ResourceDrift]:
    """The latest result of each resource checked (kept on the stack until the next check)."""
    found: dict[str, ResourceDrift] | None = stack.__dict__.get("drift_results")
    if found is None:
        found = stack.drift_results = {}  # type: ignore[attr-defined]
    return found


def _detectable_stack(backend: CloudFormationBackend, stack_name: str) -> Stack:
    stack = backend.get_stack(stack_name)  # ValidationError "Stack with id <name> does not exist"
    if stack.status not in DETECTABLE:
        raise ValidationError(
            message=f"Drift detection cannot be performed on stack [{stack.name}] in {stack.status} state; "
            f"only in {', '.join(DETECTABLE)}"
        )
    return stack


def _resources(stack: Stack, logical_ids: list[str] | None = None) -> list[tuple[str, Any]]:
    """The stack's resources (logical id, moto's model) in template order; those ``logical_ids`` names, if given."""
    names = list(stack.resource_map._resource_json_map)
    parsed = stack.resource_map._parsed_resources
    if unknown := [name for name in logical_ids or () if parsed.get(name) is None or name not in names]:
        raise ValidationError(message=f"Resource {unknown[0]} does not exist for stack {stack.name}")
    wanted = set(logical_ids) if logical_ids else set(names)
    return [(name, parsed[name]) for name in names if name in wanted and parsed.get(name) is not None]


def _slow_seconds() -> float:
    faults = faults_state.faults
    return faults.stack_operation_seconds if faults else 0.0


def detect_stack_drift(
    self: CloudFormationBackend, stack_name: str, logical_resource_ids: list[str] | None = None
) -> Detection:
    """``DetectStackDrift``: check every resource (or those named) whose type supports drift detection."""
    stack = _detectable_stack(self, stack_name)
    now = utcnow()
    checked = [check_resource(stack, name, resource, now) for name, resource in _resources(stack, logical_resource_ids)]
    drifts = [drift for drift in checked if drift is not None]
    _results(stack).update({drift.logical_id: drift for drift in drifts})
    drifted = sum(drift.status in DRIFTED for drift in drifts)
    failed = [drift.logical_id for drift in drifts if drift.status == "UNKNOWN"]
    stack.drift_status = "DRIFTED" if drifted else "UNKNOWN" if failed else "IN_SYNC"  # type: ignore[attr-defined]
    stack.drift_checked_at = now  # type: ignore[attr-defined]
    detection = Detection(
        str(uuid.uuid4()), stack.stack_id, now, stack.drift_status, drifted, failed, time.monotonic() + _slow_seconds()
    )
    _detections(self)[detection.detection_id] = detection
    return detection


def describe_stack_drift_detection_status(self: CloudFormationBackend, detection_id: str) -> Detection:
    """``DescribeStackDriftDetectionStatus``."""
    detection = _detections(self).get(detection_id)
    if detection is None:
        raise ValidationError(message=f"Drift detection [{detection_id}] does not exist")
    return detection


def describe_stack_resource_drifts(
    self: CloudFormationBackend,
    stack_name: str,
    status_filters: list[str] | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> tuple[list[ResourceDrift], str | None]:
    """``DescribeStackResourceDrifts``: the latest result of each resource checked, in template order."""
    stack = self.get_stack(stack_name)
    if bad := [status for status in status_filters or () if status not in STATUSES]:
        raise ValidationError(message=f"Invalid StackResourceDriftStatusFilters value: {bad[0]}")
    if max_results is not None and not 1 <= max_results <= 100:
        raise ValidationError(message="MaxResults must be between 1 and 100")
    results = _results(stack)
    drifts = [results[name] for name, _ in _resources(stack) if name in results]
    drifts = [drift for drift in drifts if not status_filters or drift.status in status_filters]
    start = int(next_token) if next_token and next_token.isdigit() else 0
    if next_token and (not next_token.isdigit() or start >= len(drifts)):
        raise ValidationError(message="Invalid NextToken")
    end = start + (max_results or 100)
    return drifts[start:end], str(end) if end < len(drifts) else None


def detect_stack_resource_drift(
    self: CloudFormationBackend, stack_name: str, logical_resource_id: str
) -> ResourceDrift:
    """``DetectStackResourceDrift``: check one resource (a type without drift detection is ``NOT_CHECKED``)."""
    stack = _detectable_stack(self, stack_name)
    [(name, resource)] = _resources(stack, [logical_resource_id])
    now = utcnow()
    drift = check_resource(stack, name, resource, now)
    if drift is None:
        resource_type = stack.resource_map._resource_json_map[name]["Type"]
        physical_id = str(getattr(resource, "physical_resource_id", ""))
        reason = f"Drift detection is not supported for resource type {resource_type}"
        return ResourceDrift(stack.stack_id, name, physical_id, resource_type, "NOT_CHECKED", now, reason=reason)
    _results(stack)[name] = drift
    return drift


def resource_drift_information(stack: Stack, logical_id: str | None) -> dict[str, Any]:
    """A resource's ``DriftInformation``: its latest result, else ``NOT_CHECKED``."""
    drift = (stack.__dict__.get("drift_results") or {}).get(logical_id)
    if drift is None:
        return {"StackResourceDriftStatus": "NOT_CHECKED"}
    return {"StackResourceDriftStatus": drift.status, "LastCheckTimestamp": drift.timestamp}


def _stack_drift_information(self: Stack) -> dict[str, Any]:
    """A stack's ``DriftInformation``: ``NOT_CHECKED`` until its first detection."""
    checked_at = self.__dict__.get("drift_checked_at")
    information: dict[str, Any] = {"StackDriftStatus": self.__dict__.get("drift_status", "NOT_CHECKED")}
    if checked_at is not None:
        information["LastCheckTimestamp"] = checked_at
    return information


def _detect_stack_drift_response(self: CloudFormationResponse) -> ActionResult:
    detection = self.cloudformation_backend.detect_stack_drift(
        stack_name=self._get_param("StackName"), logical_resource_ids=self._get_param("LogicalResourceIds")
    )
    return ActionResult({"StackDriftDetectionId": detection.detection_id})


def _describe_stack_drift_detection_status_response(self: CloudFormationResponse) -> ActionResult:
    backend = self.cloudformation_backend
    return ActionResult(
        backend.describe_stack_drift_detection_status(self._get_param("StackDriftDetectionId")).to_dict()
    )


def _describe_stack_resource_drifts_response(self: CloudFormationResponse) -> ActionResult:
    drifts, token = self.cloudformation_backend.describe_stack_resource_drifts(
        stack_name=self._get_param("StackName"),
        status_filters=self._get_param("StackResourceDriftStatusFilters"),
        max_results=self._get_int_param("MaxResults"),
        next_token=self._get_param("NextToken"),
    )
    return ActionResult({"StackResourceDrifts": [drift.to_dict() for drift in drifts], "NextToken": token})


def _detect_stack_resource_drift_response(self: CloudFormationResponse) -> ActionResult:
    drift = self.cloudformation_backend.detect_stack_resource_drift(
        stack_name=self._get_param("StackName"), logical_resource_id=self._get_param("LogicalResourceId")
    )
    return ActionResult({"StackResourceDrift": drift.to_dict()})


def _patch_responses(module: ModuleType) -> None:
    response_class = module.CloudFormationResponse
    response_class.detect_stack_drift = _detect_stack_drift_response
    response_class.describe_stack_drift_detection_status = _describe_stack_drift_detection_status_response
    response_class.describe_stack_resource_drifts = _describe_stack_resource_drifts_response
    response_class.detect_stack_resource_drift = _detect_stack_resource_drift_response

    dto_init = module.StackResourceDTO.__init__

    def __init__(self: Any, stack: Stack, resource: Any) -> None:  # DescribeStackResource(s)
        dto_init(self, stack, resource)
        self.drift_information = resource_drift_information(stack, self.logical_resource_id)

    module.StackResourceDTO.__init__ = __init__
    list_stack_resources = response_class.list_stack_resources

    def _list_stack_resources(self: CloudFormationResponse) -> ActionResult:
        """``ListStackResources`` with each resource's ``DriftInformation``."""
        result = list_stack_resources(self)
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        for summary in result.result["StackResourceSummaries"]:  # type: ignore[index]
            summary["DriftInformation"] = resource_drift_information(stack, summary["LogicalResourceId"])
        return result

    response_class.list_stack_resources = _list_stack_resources


def apply() -> None:
    """Implement drift detection, and ``DriftInformation`` in ``DescribeStacks`` and stack resources."""
    if getattr(CloudFormationBackend, "detect_stack_drift", None) is detect_stack_drift:
        return
    CloudFormationBackend.detect_stack_drift = detect_stack_drift  # type: ignore[attr-defined]
    CloudFormationBackend.describe_stack_drift_detection_status = describe_stack_drift_detection_status  # type: ignore[attr-defined]
    CloudFormationBackend.describe_stack_resource_drifts = describe_stack_resource_drifts  # type: ignore[attr-defined]
    CloudFormationBackend.detect_stack_resource_drift = detect_stack_resource_drift  # type: ignore[attr-defined]
    Stack.drift_information = property(_stack_drift_information)  # type: ignore[attr-defined]
    when_imported("moto.cloudformation.responses", _patch_responses)
