"""CloudFormation drift detection: start it, follow it, and report what drifted without any property value."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from flightdeck.aws.session import AccountSession
from flightdeck.aws.stacks import cfn_error
from flightdeck.errors import FlightdeckError

DetectionOutcome = Literal["pending", "complete", "failed"]

# Resource drift statuses that mean the live resource no longer matches its template.
DRIFTED = ("MODIFIED", "DELETED")
_DETECTION_OUTCOMES: dict[str, DetectionOutcome] = {
    "DETECTION_IN_PROGRESS": "pending",
    "DETECTION_COMPLETE": "complete",
    "DETECTION_FAILED": "failed",
}


def classify_detection(status: str) -> DetectionOutcome:
    """``pending``, ``complete`` or ``failed`` for a ``DetectionStatus``; an unknown one raises."""
    try:
        return _DETECTION_OUTCOMES[status]
    except KeyError:
        raise FlightdeckError(f"Unknown CloudFormation drift detection status {status!r}") from None


@dataclass(frozen=True)
class PropertyDrift:
    """Where a drifted resource differs from its template: the property path and how, never the values.

    :param path: ``PropertyPath``, e.g. ``/Environment/Variables/GREETING``.
    :param difference_type: ``NOT_EQUAL``, ``ADD`` or ``REMOVE``.
    """

    path: str
    difference_type: str


@dataclass(frozen=True)
class ResourceDrift:
    """One drifted resource of a stack.

    :param logical_id: its logical id in the template.
    :param resource_type: e.g. ``AWS::SSM::Parameter``.
    :param status: ``MODIFIED`` or ``DELETED``.
    :param differences: the properties that differ (none for a deleted resource).
    """

    logical_id: str
    resource_type: str
    status: str
    differences: tuple[PropertyDrift, ...] = ()


@dataclass(frozen=True)
class DetectionStatus:
    """Where a drift detection stands (``DescribeStackDriftDetectionStatus``).

    :param detection_status: ``DETECTION_IN_PROGRESS``, ``DETECTION_COMPLETE`` or ``DETECTION_FAILED``.
    :param stack_drift_status: ``DRIFTED``, ``IN_SYNC``, ``UNKNOWN`` or ``NOT_CHECKED`` (once known).
    :param drifted_count: how many resources drifted.
    :param reason: why the detection failed (some resources could not be checked).
    """

    detection_status: str
    stack_drift_status: str = ""
    drifted_count: int = 0
    reason: str = ""

    @property
    def outcome(self) -> DetectionOutcome:
        return classify_detection(self.detection_status)


@dataclass(frozen=True)
class DriftReport:
    """What a drift detection found on one stack: JSON-safe, with no property value (values may be secrets).

    :param stack_name: the stack.
    :param status: the stack's drift status (``DRIFTED``, ``IN_SYNC``, ``UNKNOWN``).
    :param detection_status: ``DETECTION_COMPLETE`` or ``DETECTION_FAILED``.
    :param resources: the drifted resources, in template order.
    :param reason: why the detection failed, if it did.
    """

    stack_name: str
    status: str
    detection_status: str
    resources: tuple[ResourceDrift, ...] = ()
    reason: str = ""

    @property
    def drifted(self) -> bool:
        return bool(self.resources)

    def headline(self) -> str:
        """One line: the stack's drift status and each drifted resource with its property paths."""
        if not self.resources:
            return f"{self.stack_name}: {self.status or 'no drift found'}"
        parts = []
        for resource in self.resources:
            paths = ", ".join(f"{d.path} {d.difference_type}" for d in resource.differences)
            where = f"{resource.logical_id} ({resource.resource_type}) {resource.status}"
            parts.append(f"{where}: {paths}" if paths else where)
        return f"{self.stack_name}: {self.status}, {len(self.resources)} resource(s) drifted: " + "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (an XCom value): lists, not tuples, so it reads back the same everywhere."""
        data = asdict(self)
        data["resources"] = [{**item, "differences": list(item["differences"])} for item in data["resources"]]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftReport:
        resources = tuple(
            ResourceDrift(
                logical_id=item["logical_id"],
                resource_type=item["resource_type"],
                status=item["status"],
                differences=tuple(PropertyDrift(**difference) for difference in item.get("differences", ())),
            )
            for item in data.get("resources", ())
        )
        return cls(data["stack_name"], data["status"], data["detection_status"], resources, data.get("reason", ""))


def start_drift_detection(session: AccountSession, stack_name: str) -> str:
    """Start detecting drift on every resource of the stack (``cloudformation:DetectStackDrift``); its id.

    :raises DeploymentError: CloudFormation refused (the stack is missing, busy, or in a status it cannot check).
    """
    try:
        return str(session.client("cloudformation").detect_stack_drift(StackName=stack_name)["StackDriftDetectionId"])
    except ClientError as err:
        raise cfn_error(session, stack_name, "Cannot start drift detection", err) from err


def drift_detection_status(session: AccountSession, stack_name: str, detection_id: str) -> DetectionStatus:
    """A detection's status (``cloudformation:DescribeStackDriftDetectionStatus``)."""
    try:
        answer = session.client("cloudformation").describe_stack_drift_detection_status(
            StackDriftDetectionId=detection_id
        )
    except ClientError as err:
        raise cfn_error(session, stack_name, f"Cannot read drift detection {detection_id}", err) from err
    return DetectionStatus(
        detection_status=answer.get("DetectionStatus", ""),
        stack_drift_status=answer.get("StackDriftStatus", ""),
        drifted_count=int(answer.get("DriftedStackResourceCount") or 0),
        reason=answer.get("DetectionStatusReason", ""),
    )


def drifted_resources(session: AccountSession, stack_name: str) -> tuple[ResourceDrift, ...]:
    """The stack's resources that drifted at the last detection (``cloudformation:DescribeStackResourceDrifts``).

    Only the property paths and difference types are kept: ``ExpectedValue`` and ``ActualValue`` are dropped here,
    at the boundary, since a parameter value or an environment variable may be a secret.
    """
    client = session.client("cloudformation")
    request: dict[str, Any] = {"StackName": stack_name, "StackResourceDriftStatusFilters": list(DRIFTED)}
    found: list[ResourceDrift] = []
    while True:
        try:
            page = client.describe_stack_resource_drifts(**request)
        except ClientError as err:
            raise cfn_error(session, stack_name, "Cannot read the drifted resources", err) from err
        for drift in page.get("StackResourceDrifts", []):
            found.append(
                ResourceDrift(
                    logical_id=drift.get("LogicalResourceId", ""),
                    resource_type=drift.get("ResourceType", ""),
                    status=drift.get("StackResourceDriftStatus", ""),
                    differences=tuple(
                        PropertyDrift(d.get("PropertyPath", ""), d.get("DifferenceType", ""))
                        for d in drift.get("PropertyDifferences") or ()
                    ),
                )
            )
        if not page.get("NextToken"):
            return tuple(found)
        request["NextToken"] = page["NextToken"]


def drift_report(session: AccountSession, stack_name: str, status: DetectionStatus) -> DriftReport:
    """The report of a finished detection: its statuses and the drifted resources."""
    return DriftReport(
        stack_name=stack_name,
        status=status.stack_drift_status,
        detection_status=status.detection_status,
        resources=drifted_resources(session, stack_name),
        reason=status.reason,
    )
