"""The script a user would write instead: ``aws cloudformation deploy`` over the targets, one after another.

The AWS CLI's deployer (``awscli/customizations/cloudformation/deployer.py``) calls ``DescribeStacks`` (does the
stack exist?), ``CreateChangeSet``, polls ``DescribeChangeSet`` every 5 s, ``ExecuteChangeSet``, then polls
``DescribeStacks`` every 30 s. :func:`cli_model` is that loop as arithmetic; :func:`run_cli_loop` runs it for real
with boto3 against the local AWS (waiters with the CLI's delays, calls counted with botocore event hooks).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flightdeck.plan import Target
from scripts.demo import deploy_session

CHANGE_SET_POLL_SECONDS = 5.0
STACK_POLL_SECONDS = 30.0
#: Completion falls anywhere between two polls: noticed half a poll interval late on average.
MEAN_LAG_SECONDS = (CHANGE_SET_POLL_SECONDS + STACK_POLL_SECONDS) / 2


@dataclass(frozen=True)
class CliModel:
    """The modelled loop: total seconds, seconds noticed late per target, CloudFormation calls per target."""

    seconds: float
    lag_per_target: float
    calls_per_target: float


def cli_model(targets: int, change_set_seconds: float, stack_seconds: float) -> CliModel:
    """``targets`` deployed in sequence; each change set takes ``change_set_seconds``, each execution
    ``stack_seconds``; each completion is noticed half a poll interval late on average (2.5 s + 15 s)."""
    per_target = change_set_seconds + stack_seconds + MEAN_LAG_SECONDS
    # DescribeStacks + CreateChangeSet + ExecuteChangeSet, and each waiter's first poll is immediate.
    calls = 3 + (1 + change_set_seconds / CHANGE_SET_POLL_SECONDS) + (1 + stack_seconds / STACK_POLL_SECONDS)
    return CliModel(targets * per_target, MEAN_LAG_SECONDS, calls)


def cli_calls_on_emulator() -> int:
    """Calls per target when change sets and stacks complete at once (the plain emulator): 5."""
    return math.ceil(cli_model(1, 0, 0).calls_per_target)


@dataclass
class CliRun:
    """A real run of the loop: seconds in all, per target seconds noticed late, calls per operation."""

    seconds: float
    lags: list[float] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)


def run_cli_loop(targets: list[Target], version: str, stack_seconds: float) -> CliRun:
    """Deploy ``version`` (only the ``AppVersion`` parameter changes) to each target in turn as the CLI would.

    Uses each target's deploy role and execution role, and the stack's previous template (nothing to package).
    The lag is the stack waiter's return minus (``ExecuteChangeSet`` answered + ``stack_seconds``), the moment the
    local AWS starts reporting the operation complete.
    """
    result = CliRun(0.0)

    def count(model: Any, **_: Any) -> None:
        result.calls[model.name] += 1

    started = time.monotonic()
    for target in targets:
        client = deploy_session(target).client("cloudformation")
        client.meta.events.register("before-call.cloudformation", count)
        stack = client.describe_stacks(StackName=target.stack_name)["Stacks"][0]
        parameters = [
            {"ParameterKey": p["ParameterKey"], "ParameterValue": version}
            if p["ParameterKey"] == "AppVersion"
            else {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
            for p in stack.get("Parameters", [])
        ]
        name = f"cli-{version}".replace(".", "-")
        client.create_change_set(
            StackName=target.stack_name,
            ChangeSetName=name,
            ChangeSetType="UPDATE",
            UsePreviousTemplate=True,
            Parameters=parameters,
            Capabilities=["CAPABILITY_IAM"],
            RoleARN=target.execution_role_arn,
        )
        client.get_waiter("change_set_create_complete").wait(
            StackName=target.stack_name, ChangeSetName=name, WaiterConfig={"Delay": CHANGE_SET_POLL_SECONDS}
        )
        client.execute_change_set(StackName=target.stack_name, ChangeSetName=name)
        complete_at = time.monotonic() + stack_seconds
        client.get_waiter("stack_update_complete").wait(
            StackName=target.stack_name, WaiterConfig={"Delay": STACK_POLL_SECONDS, "MaxAttempts": 120}
        )
        result.lags.append(time.monotonic() - complete_at)
    result.seconds = time.monotonic() - started
    return result
