"""Per-target stack options: termination protection, stack policy, notification ARNs and rollback triggers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from flightdeck.aws.session import AccountSession
from flightdeck.aws.stacks import cfn_error
from flightdeck.errors import FlightdeckError

__all__ = ["StackOptions", "apply_stack_options", "change_set_arguments"]

MAX_NOTIFICATION_ARNS = 5  # CloudFormation's limits (NotificationARNs, RollbackTriggers, MonitoringTimeInMinutes)
MAX_ROLLBACK_ALARMS = 5
MAX_MONITORING_MINUTES = 180
MAX_POLICY_CHARACTERS = 16384  # StackPolicyBody
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$")
_ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$")


@dataclass(frozen=True)
class StackOptions:
    """How a target's stack is protected and watched, besides its template.

    Sequences given as lists (a target dict read back from JSON) are stored as tuples; invalid values raise
    :class:`FlightdeckError` before any AWS call.

    :param termination_protection: whether the stack refuses ``DeleteStack``.
    :param stack_policy_json: the stack policy document (JSON); empty leaves the stack's policy as it is.
    :param notification_arns: up to 5 SNS topic ARNs that receive the stack's events.
    :param rollback_alarms: up to 5 CloudWatch alarm ARNs; one in ALARM during a deployment (or the monitoring
        time after it) rolls the deployment back.
    :param rollback_monitoring_minutes: how long CloudFormation keeps watching the alarms after a deployment
        (0-180).
    """

    termination_protection: bool = False
    stack_policy_json: str = ""
    notification_arns: tuple[str, ...] = ()
    rollback_alarms: tuple[str, ...] = ()
    rollback_monitoring_minutes: int = 0

    def __post_init__(self) -> None:
        for name in ("notification_arns", "rollback_alarms"):
            values = getattr(self, name)
            if isinstance(values, str):
                raise FlightdeckError(f"Invalid stack options: {name} must be a sequence of ARNs, not one string")
            object.__setattr__(self, name, tuple(values))
        problems = _problems(self)
        if problems:
            raise FlightdeckError(f"Invalid stack options: {'; '.join(problems)}")


def change_set_arguments(options: StackOptions | None) -> dict[str, Any]:
    """``NotificationARNs`` and ``RollbackConfiguration`` of ``CreateChangeSet``, each only when set.

    Left out, CloudFormation keeps what the stack has (``[]`` would remove it): removing them from a target
    leaves the stack's previous ones in place.
    """
    if options is None:
        return {}
    arguments: dict[str, Any] = {}
    if options.notification_arns:
        arguments["NotificationARNs"] = list(options.notification_arns)
    if options.rollback_alarms or options.rollback_monitoring_minutes:
        arguments["RollbackConfiguration"] = {
            "RollbackTriggers": [{"Arn": arn, "Type": "AWS::CloudWatch::Alarm"} for arn in options.rollback_alarms],
            "MonitoringTimeInMinutes": options.rollback_monitoring_minutes,
        }
    return arguments


def apply_stack_options(
    session: AccountSession, *, stack_name: str, options: StackOptions, protected: bool | None = None
) -> None:
    """Give an existing stack the options a change set cannot carry; safe to repeat.

    Call it once the stack's deployment succeeded, and also when the change set was empty: neither option is
    part of a change set, so a release that only changes them has nothing to execute.
    Calls ``cloudformation:UpdateTerminationProtection`` (so protection is switched on and off as the options say;
    skipped when ``protected``, the stack's protection as just read, is what the options say already) and
    ``cloudformation:SetStackPolicy`` (only when the options have a policy).
    Raises :class:`DeploymentError` with AWS's reason when either call fails.
    """
    client = session.client("cloudformation")
    if protected is None or protected != options.termination_protection:
        try:
            client.update_termination_protection(
                StackName=stack_name, EnableTerminationProtection=options.termination_protection
            )
        except ClientError as err:
            state = "on" if options.termination_protection else "off"
            raise cfn_error(session, stack_name, f"Cannot switch termination protection {state}", err) from err
    if not options.stack_policy_json:
        return
    try:
        client.set_stack_policy(StackName=stack_name, StackPolicyBody=options.stack_policy_json)
    except ClientError as err:
        raise cfn_error(session, stack_name, "Cannot set the stack policy", err) from err


def _problems(options: StackOptions) -> list[str]:
    problems = []
    if not isinstance(options.termination_protection, bool):
        problems.append(f"termination protection must be true or false, got {options.termination_protection!r}")
    if len(options.notification_arns) > MAX_NOTIFICATION_ARNS:
        problems.append(f"at most {MAX_NOTIFICATION_ARNS} notification ARNs, got {len(options.notification_arns)}")
    problems += [f"not an SNS topic ARN: {a!r}" for a in options.notification_arns if not _TOPIC_ARN.match(a)]
    if len(options.rollback_alarms) > MAX_ROLLBACK_ALARMS:
        problems.append(f"at most {MAX_ROLLBACK_ALARMS} rollback alarms, got {len(options.rollback_alarms)}")
    problems += [f"not a CloudWatch alarm ARN: {a!r}" for a in options.rollback_alarms if not _ALARM_ARN.match(a)]
    minutes = options.rollback_monitoring_minutes
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= MAX_MONITORING_MINUTES:
        problems.append(f"rollback monitoring minutes must be a whole number 0-{MAX_MONITORING_MINUTES}: {minutes!r}")
    policy_text = options.stack_policy_json
    if len(policy_text) > MAX_POLICY_CHARACTERS:
        problems.append(f"the stack policy has {len(policy_text)} characters, at most {MAX_POLICY_CHARACTERS}")
    elif policy_text:
        try:
            policy = json.loads(policy_text)
        except ValueError as err:
            problems.append(f"the stack policy is not JSON: {err}")
        else:
            if not isinstance(policy, dict) or "Statement" not in policy:
                problems.append("the stack policy must be a JSON object with a Statement")
    return problems
