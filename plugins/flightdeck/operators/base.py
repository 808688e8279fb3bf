"""What every per-target operator shares: the target it works on and the session in its account."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException
from botocore.exceptions import ClientError

from flightdeck import naming
from flightdeck.aws.session import AccountSession, assume_role
from flightdeck.aws.stack_options import StackOptions
from flightdeck.aws.transient import is_transient
from flightdeck.errors import DeploymentError, FlightdeckError, TransientError
from flightdeck.operators.rollout import WaveRules, stop_if_wave_failed
from flightdeck.plan import Target, TargetCatalog

P = ParamSpec("P")
R = TypeVar("R")


class PermanentFailure(FlightdeckError, AirflowFailException):
    """A Flightdeck error that fails its task at once: Airflow does not retry an :class:`AirflowFailException`."""


def fail_fast(method: Callable[P, R]) -> Callable[P, R]:
    """Decorate an operator's ``execute`` (or resume method) so permanent errors fail at once, without retries.

    A Flightdeck error or AWS error that a new try cannot fix (access denied, invalid template, a failed stack, a
    rejection) becomes a :class:`PermanentFailure`; transient ones (throttling that outlasted botocore's own
    retries, an unreachable endpoint, expired credentials) and unexpected errors keep the task's retries.
    """

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (FlightdeckError, ClientError) as err:
            if isinstance(err, TransientError | PermanentFailure) or is_transient(err):
                raise
            raise PermanentFailure(str(err)) from err

    return wrapper


def target_session(target: Target, aws_conn_id: str | None, context: Context) -> AccountSession:
    """Assume ``target``'s deploy role; the STS session name says which DAG run acts."""
    return assume_role(
        aws_conn_id=aws_conn_id,
        role_arn=target.deploy_role_arn,
        region=target.region,
        external_id=target.external_id,
        session_name=naming.sts_session_name(context["dag"].dag_id, context["run_id"], target.account_id),
        duration_seconds=target.session_duration_seconds,
    )


def trigger_failure(target: Target, event: dict[str, Any], message: str) -> FlightdeckError:
    """The error for a CloudFormation trigger's event that is not a success.

    ``error`` (AWS kept failing while polling) and ``timeout`` may pass on a retry; the others are permanent.
    """
    where = {"account": target.account_id, "region": target.region, "stack": event.get("stack_name", "")}
    details = {"status": event.get("status") or "", "reason": event.get("reason") or ""}
    if event["outcome"] in ("error", "timeout"):
        return TransientError(str(DeploymentError(message, **where, **details)))
    return DeploymentError(message, **where, **details)


class TargetOperator(BaseOperator):
    """Base of the operators that act in one target account and region through its deploy role.

    Each mapped instance receives only its target's label; the targets themselves come from the plan the DAG
    file builds when it is parsed, so the serialised DAG stays small however many targets there are.

    :param target_label: the label of this instance's target (the argument a mapped task group hands out).
    :param targets: the environment's targets by label (selected accounts included).
    :param aws_conn_id: Airflow connection holding the orchestrator's own AWS credentials.
    :param wave_rules: the wave's failure tolerance, for the tasks that start a target's stage.
    """

    # Templated so a mapped task group hands each instance its own label.
    template_fields: Sequence[str] = ("target_label",)
    ui_color = "#e8f1fb"

    def __init__(
        self,
        *,
        target_label: str,
        targets: TargetCatalog,
        aws_conn_id: str | None = "aws_default",
        wave_rules: WaveRules | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.target_label = target_label
        self.targets = targets
        self.aws_conn_id = aws_conn_id
        self.wave_rules = wave_rules

    @property
    def target(self) -> Target:
        try:
            return self.targets[self.target_label]
        except KeyError:
            raise FlightdeckError(
                f"Target {self.target_label} is no longer in the manifest; clear the whole environment instead."
            ) from None

    @property
    def stack_options(self) -> StackOptions:
        """The target's stack options (notifications, rollback triggers, protection, policy)."""
        target = self.target
        return StackOptions(
            termination_protection=target.termination_protection,
            stack_policy_json=target.stack_policy_json,
            notification_arns=target.notification_arns,
            rollback_alarms=target.rollback_alarms,
            rollback_monitoring_minutes=target.rollback_monitoring_minutes,
        )

    def target_session(self, context: Context) -> AccountSession:
        """Assume the target's deploy role."""
        return target_session(self.target, self.aws_conn_id, context)

    def stop_if_wave_failed(self, context: Context, stage: str) -> None:
        """Skip this target's ``stage`` if its wave failed beyond its tolerance before it started."""
        stop_if_wave_failed(context, self.wave_rules, self.target_label, stage)

    def trigger_arguments(self, context: Context) -> dict[str, Any]:
        """What a CloudFormation trigger needs to assume the target's role by itself: identifiers, no secret."""
        target = self.target
        return {
            "role_arn": target.deploy_role_arn,
            "region_name": target.region,
            "session_name": naming.sts_session_name(context["dag"].dag_id, context["run_id"], target.account_id),
            "external_id": target.external_id,
            "aws_conn_id": self.aws_conn_id,
        }

    def pull_own_index(self, context: Context, task_id: str) -> Any:
        """The XCom of ``task_id``'s instance for this same target (same map index)."""
        ti = context["ti"]
        return ti.xcom_pull(task_ids=task_id, map_indexes=ti.map_index)
