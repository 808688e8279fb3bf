"""What every per-target operator shares: the target it works on and the session in its account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator, Context

from flightdeck import naming
from flightdeck.aws.session import AccountSession, assume_role
from flightdeck.aws.stack_options import StackOptions
from flightdeck.errors import FlightdeckError
from flightdeck.plan import Target, TargetCatalog


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


class TargetOperator(BaseOperator):
    """Base of the operators that act in one target account and region through its deploy role.

    Each mapped instance receives only its target's label; the targets themselves come from the plan the DAG
    file builds when it is parsed, so the serialised DAG stays small however many targets there are.

    :param target_label: the label of this instance's target (the argument a mapped task group hands out).
    :param targets: the environment's targets by label (selected accounts included).
    :param aws_conn_id: Airflow connection holding the orchestrator's own AWS credentials.
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
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.target_label = target_label
        self.targets = targets
        self.aws_conn_id = aws_conn_id

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

    def pull_own_index(self, context: Context, task_id: str) -> Any:
        """The XCom of ``task_id``'s instance for this same target (same map index)."""
        ti = context["ti"]
        return ti.xcom_pull(task_ids=task_id, map_indexes=ti.map_index)
