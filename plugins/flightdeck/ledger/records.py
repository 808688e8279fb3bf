"""What the release ledger returns: frozen records of deployment attempts and promotion overrides."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from flightdeck.errors import FlightdeckError

# A version marker, as aws.parameters records them: where a value came from and which version was read, no value.
_MARKER_RE = re.compile(r"literal|release|ssm:\S+@\d+|secretsmanager:\S+@[A-Za-z0-9-]{1,64}")
_ACCOUNT_RE = re.compile(r"\d{12}")
MESSAGE_MAX = 2000
PATH_MAX = 512  # a drifted property's path


class LedgerError(FlightdeckError):
    """The release ledger refused a record, or its database failed in a way a retry will not fix."""


class Outcome(StrEnum):
    """How a deployment attempt ended (the closed set the database's check constraint also enforces)."""

    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"  # deployed, then rolled back to the last verified release
    NEVER_STARTED = "never_started"  # the run ended before this target started (its wave stopped the rollout)


class AttemptKind(StrEnum):
    """What an attempt did to its target: deploy the release, roll the target back after it, or refresh it."""

    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    REFRESH = "refresh"  # the scheduled refresh: drift detected, the last promoted version deployed again


class DriftStatus(StrEnum):
    """A stack's drift status when a refresh checked it (CloudFormation's ``StackDriftStatus``)."""

    DRIFTED = "DRIFTED"
    IN_SYNC = "IN_SYNC"
    UNKNOWN = "UNKNOWN"
    NOT_CHECKED = "NOT_CHECKED"


@dataclass(frozen=True)
class DriftedResource:
    """A resource found drifted: where and how it differs, never a value (values may be secrets).

    :param logical_id: the resource's logical id.
    :param resource_type: e.g. ``AWS::SSM::Parameter``.
    :param status: ``MODIFIED`` or ``DELETED``.
    :param differences: ``(property path, difference type)`` pairs, e.g. ``("/Value", "NOT_EQUAL")``.
    """

    logical_id: str
    resource_type: str
    status: str
    differences: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "logical_id": self.logical_id,
            "resource_type": self.resource_type,
            "status": self.status,
            "differences": [{"path": path, "difference_type": kind} for path, kind in self.differences],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DriftedResource:
        differences = tuple((d["path"], d["difference_type"]) for d in data.get("differences") or ())
        return cls(data["logical_id"], data["resource_type"], data["status"], differences)


@dataclass(frozen=True)
class Attempt:
    """One deployment attempt of one target (one stack in one account and region), as recorded.

    A retried or cleared task updates its attempt instead of adding one: ``tries`` counts the starts and
    ``started_at`` is the latest one.

    :param id: the attempt's id in the ledger.
    :param application: application name.
    :param environment: environment name.
    :param account_id: 12-digit account id of the target.
    :param region: AWS region of the target.
    :param stack_name: the target's stack.
    :param kind: ``deploy`` or ``rollback``.
    :param version: the release's version (for a rollback: the version being rolled back).
    :param dag_id: the release DAG.
    :param run_id: the DAG run.
    :param outcome: how it ended, ``in_progress`` until it did.
    :param started_at: when it (last) started, UTC.
    :param tries: how many times it was started (retries and clears included).
    :param artifact_digest: the package digest, once packaged.
    :param template_hash: digest of the packaged template.
    :param parameters_hash: digest of the parameters as deployed (names and version markers, never secret values).
    :param parameter_versions: parameter name → version marker (``ssm:<path>@<version>``,
        ``secretsmanager:<id>@<VersionId>``, ``literal``, ``release``), never a value.
    :param change_set_id: the change set's ARN.
    :param triggered_by: who started the run.
    :param approved_by: who approved the environment's gate, when one did.
    :param approved_at: when, UTC.
    :param finished_at: when it ended, UTC.
    :param message: why it ended that way (short).
    :param rollback_of: for a rollback, the id of the attempt it rolled back.
    :param rolled_back_to_version: for a rollback, the version the target went back to.
    :param drift_status: for a refresh, the stack's drift status when it was checked (``DRIFTED``, ``IN_SYNC``...).
    :param drifted_resources: for a refresh, the resources found drifted (paths and difference types, no values).
    :param change_set_seconds: seconds CloudFormation took to create the change set, as the trigger observed it.
    :param operation_seconds: seconds CloudFormation took to run the stack operation, as the trigger observed it.
    """

    id: int
    application: str
    environment: str
    account_id: str
    region: str
    stack_name: str
    kind: AttemptKind
    version: str
    dag_id: str
    run_id: str
    outcome: Outcome
    started_at: datetime
    tries: int = 1
    artifact_digest: str | None = None
    template_hash: str | None = None
    parameters_hash: str | None = None
    parameter_versions: Mapping[str, str] = field(default_factory=dict, hash=False)
    change_set_id: str | None = None
    triggered_by: str | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    finished_at: datetime | None = None
    message: str | None = None
    rollback_of: int | None = None
    rolled_back_to_version: str | None = None
    drift_status: DriftStatus | None = None
    drifted_resources: tuple[DriftedResource, ...] | None = None
    change_set_seconds: float | None = None
    operation_seconds: float | None = None

    @property
    def finished(self) -> bool:
        return self.outcome is not Outcome.IN_PROGRESS


@dataclass(frozen=True)
class Durations:
    """How long a target's stack last took, each the newest recorded by any attempt (the triggers poll near it).

    :param change_set_seconds: seconds CloudFormation took to create the change set, ``None`` if never recorded.
    :param operation_seconds: seconds CloudFormation took to run the stack operation, ``None`` if never recorded.
    """

    change_set_seconds: float | None = None
    operation_seconds: float | None = None


@dataclass(frozen=True)
class SucceededRelease:
    """A version that one DAG run deployed to every target it recorded in an environment, all succeeded.

    :param version: the release's version.
    :param artifact_digest: the package digest it deployed.
    :param dag_id: the release DAG.
    :param run_id: the run that deployed it.
    :param targets: how many targets it deployed.
    :param finished_at: when its last target finished, UTC.
    """

    version: str
    artifact_digest: str
    dag_id: str
    run_id: str
    targets: int
    finished_at: datetime


@dataclass(frozen=True)
class Override:
    """A recorded exception to the promotion rule: who let a version skip it, for which run, and why.

    :param id: the override's id in the ledger.
    :param application: application name.
    :param environment: the environment the version was let into.
    :param version: the release's version.
    :param artifact_digest: the package digest it was let in with.
    :param run_id: the DAG run that used the override.
    :param overridden_by: who decided.
    :param reason: why.
    :param created_at: when, UTC.
    """

    id: int
    application: str
    environment: str
    version: str
    artifact_digest: str
    run_id: str
    overridden_by: str
    reason: str
    created_at: datetime


def outcome_of(value: str) -> Outcome:
    """``value`` as an :class:`Outcome`; raises :class:`LedgerError` naming the allowed ones."""
    try:
        return Outcome(value)
    except ValueError:
        allowed = ", ".join(outcome.value for outcome in Outcome)
        raise LedgerError(f"Unknown deployment outcome {value!r} (one of {allowed})") from None


def kind_of(value: str) -> AttemptKind:
    """``value`` as an :class:`AttemptKind`; raises :class:`LedgerError` naming the allowed ones."""
    try:
        return AttemptKind(value)
    except ValueError:
        allowed = ", ".join(kind.value for kind in AttemptKind)
        raise LedgerError(f"Unknown attempt kind {value!r} (one of {allowed})") from None


def drift_status_of(value: str) -> DriftStatus:
    """``value`` as a :class:`DriftStatus`; raises :class:`LedgerError` naming the allowed ones."""
    try:
        return DriftStatus(value)
    except ValueError:
        allowed = ", ".join(status.value for status in DriftStatus)
        raise LedgerError(f"Unknown drift status {value!r} (one of {allowed})") from None


_DRIFT_RESOURCE_STATUSES = ("MODIFIED", "DELETED")
_DIFFERENCE_TYPES = ("NOT_EQUAL", "ADD", "REMOVE")


def check_drifted_resources(resources: Sequence[DriftedResource]) -> list[dict[str, Any]]:
    """``resources`` as stored (JSON), checked: known statuses and difference types, paths that hold no value."""
    stored = []
    for resource in resources:
        if not isinstance(resource, DriftedResource):
            raise LedgerError(f"drifted_resources holds DriftedResource records, not {type(resource).__name__}")
        if not resource.logical_id or not resource.resource_type:
            raise LedgerError("A drifted resource needs its logical id and resource type")
        if resource.status not in _DRIFT_RESOURCE_STATUSES:
            raise LedgerError(
                f"Drifted resource {resource.logical_id}: status {resource.status!r} is not MODIFIED or DELETED"
            )
        for path, kind in resource.differences:
            if kind not in _DIFFERENCE_TYPES or not path.startswith("/") or len(path) > PATH_MAX:
                raise LedgerError(
                    f"Drifted resource {resource.logical_id}: a difference is a property path (/Name/...) and one of "
                    f"{', '.join(_DIFFERENCE_TYPES)}; the ledger records no value"
                )
        stored.append(resource.to_json())
    return stored


def check_account_id(account_id: str) -> str:
    if not isinstance(account_id, str) or not _ACCOUNT_RE.fullmatch(account_id):
        raise LedgerError(
            f"Account id {account_id!r} is not 12 digits: pass it as a string (an id starting with 0 read as a "
            "number loses its zero)"
        )
    return account_id


def check_seconds(name: str, seconds: float) -> float:
    """``seconds`` as a float if it is a finite number, 0 or more; raises :class:`LedgerError` naming ``name``."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise LedgerError(f"{name} is a number of seconds, not {type(seconds).__name__}")
    if not math.isfinite(seconds) or seconds < 0:
        raise LedgerError(f"{name} is {seconds!r}: a duration is a finite number of seconds, 0 or more")
    return float(seconds)


def check_parameter_versions(versions: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``versions`` if every entry is a version marker; refuses anything else, which may be a value.

    The error names the parameter but never repeats what was passed for it (it could be a secret).
    """
    checked: dict[str, str] = {}
    for name, marker in versions.items():
        if not isinstance(name, str) or not name:
            raise LedgerError(f"Parameter names in parameter_versions must be non-empty strings, not {name!r}")
        if not isinstance(marker, str) or not _MARKER_RE.fullmatch(marker):
            raise LedgerError(
                f"parameter_versions[{name!r}] is not a version marker (ssm:<path>@<version>, "
                "secretsmanager:<id>@<VersionId>, literal or release): the ledger records where each value came "
                "from, never the value"
            )
        checked[name] = marker
    return checked


def short_message(message: str | None) -> str | None:
    """``message`` cut to :data:`MESSAGE_MAX` characters (the ledger keeps a reason, not a log)."""
    if message is None or len(message) <= MESSAGE_MAX:
        return message
    return message[: MESSAGE_MAX - 1] + "…"
