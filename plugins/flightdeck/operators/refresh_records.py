"""What the refresh operators share: their target's refresh attempt in the ledger, and failing it on errors."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from airflow.sdk import Context
from botocore.exceptions import ClientError

from flightdeck.aws.drift import DriftReport
from flightdeck.errors import FlightdeckError
from flightdeck.ledger import AttemptKind, DriftedResource, Outcome
from flightdeck.operators.base import TargetOperator
from flightdeck.operators.recording import task_ledger

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
StepT = TypeVar("StepT", bound="RefreshStep")


class RefreshStep(TargetOperator):
    """A per-target step of the refresh DAG: its target's attempt is started by ``detect_drift``.

    :param detect_task_id: the ``detect_drift`` task whose XCom holds the attempt id, the drift report and the
        target's last verified release.
    """

    def __init__(self, *, detect_task_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.detect_task_id = detect_task_id

    def detected(self, context: Context) -> dict[str, Any] | None:
        """What ``detect_drift`` found for this target; None when it skipped (no stack) or failed."""
        return self.pull_own_index(context, self.detect_task_id)

    def attempt_id(self, context: Context) -> int | None:
        detected = self.detected(context)
        return None if detected is None else int(detected["attempt_id"])

    def finish_attempt(self, context: Context, outcome: Outcome, message: str) -> None:
        """Record how this target's refresh ended."""
        attempt_id = self.attempt_id(context)
        if attempt_id is not None:
            task_ledger().finish_attempt(attempt_id, outcome, message=message)


def records_failure(
    method: Callable[Concatenate[StepT, Context, P], R],
) -> Callable[Concatenate[StepT, Context, P], R]:
    """Decorate a refresh step's ``execute`` (or resume method): a Flightdeck or AWS error fails its attempt too.

    Skips and deferrals pass through. A retry that then succeeds records the attempt's end again.
    """

    @functools.wraps(method)
    def wrapper(self: StepT, context: Context, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, context, *args, **kwargs)
        except (FlightdeckError, ClientError) as err:
            try:
                self.finish_attempt(context, Outcome.FAILED, f"{self.task_id}: {err}")
            except FlightdeckError as ledger_error:  # the task's own error matters more
                log.error("Could not record the failure in the ledger: %s", ledger_error)
            raise

    return wrapper


def start_refresh_attempt(
    context: Context, operator: TargetOperator, *, application: str, version: str, record: dict[str, Any] | None
) -> int:
    """Start (or, on a retry, restart) the target's refresh attempt of this run."""
    target = operator.target
    return task_ledger().start_attempt(
        application=application,
        environment=target.environment,
        account_id=target.account_id,
        region=target.region,
        stack_name=target.stack_name,
        version=version,
        dag_id=context["dag"].dag_id,
        run_id=context["run_id"],
        kind=AttemptKind.REFRESH,
        triggered_by=context["dag_run"].triggering_user_name,
        artifact_digest=(record or {}).get("digest") or None,
        parameter_versions=(record or {}).get("parameter_versions") or None,
    )


def record_drift(attempt_id: int, report: DriftReport) -> None:
    """Record the drift report on the attempt: statuses, logical ids, types, property paths; no value."""
    task_ledger().record_drift(
        attempt_id,
        drift_status=report.status or "UNKNOWN",
        drifted_resources=[
            DriftedResource(
                resource.logical_id,
                resource.resource_type,
                resource.status,
                tuple((difference.path, difference.difference_type) for difference in resource.differences),
            )
            for resource in report.resources
        ],
    )
