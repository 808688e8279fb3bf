"""The per-target operators against the local AWS: they defer while CloudFormation works, are safe to retry, and
roll a target back when its smoke test fails.

Each operator runs as a worker would run it (``execute``, then the resume method with the trigger's event), with a
small fake task instance for XComs. The emulator's fault injection makes change sets and stack operations take
seconds, as in AWS, and counts the calls.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred
from aws_helpers import API_TOKEN, GREETING, HelloTarget

from flightdeck.errors import FlightdeckError
from flightdeck.ledger import Ledger, Outcome
from flightdeck.localaws.faults_client import fault_stats, latency, set_faults
from flightdeck.manifest import load_manifest
from flightdeck.operators.base import PermanentFailure
from flightdeck.operators.change_set import CreateChangeSetOperator
from flightdeck.operators.execute import ExecuteChangeSetOperator
from flightdeck.operators.package import PackageOperator
from flightdeck.operators.rollback import ROLLBACK_KEY
from flightdeck.operators.smoke import SmokeTestOperator
from flightdeck.plan import build_plan
from flightdeck.triggers import ChangeSetReadyTrigger, StackOperationTrigger

pytestmark = pytest.mark.integration

MANIFEST = Path(__file__).resolve().parents[3] / "include" / "manifests" / "hello.yaml"
LABEL = "dev/111111111111/eu-west-1"
PACKAGE, CHANGE_SET, APPROVE = "dev.prepare.package", "dev.prepare.create_change_set", "dev.approve"
RUN_ID = "manual__2026-11-28T12:00:00+00:00"


class _Ti:
    """The task instance as the operators use it: XComs of this run, the try, the map index."""

    dag_id = "release__hello"
    run_id = RUN_ID
    map_index = 0
    try_number = 1

    def __init__(self) -> None:
        self.xcoms: dict[tuple[str, int], Any] = {}
        self.pushed: dict[str, Any] = {}

    def xcom_pull(self, task_ids: str, map_indexes: int = -1, key: str = "return_value", **_: Any) -> Any:
        return self.xcoms.get((task_ids, map_indexes)) if key == "return_value" else None

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def get_task_states(self, **_: Any) -> dict[str, Any]:
        return {}


@pytest.fixture
def context(hello: HelloTarget, task_ledger: Ledger) -> dict[str, Any]:
    dag = type("Dag", (), {"dag_id": "release__hello"})()
    return {"ti": _Ti(), "params": {"version": "1.0.0", "dry_run": False}, "run_id": RUN_ID, "dag": dag}


def _operators() -> tuple[PackageOperator, CreateChangeSetOperator, ExecuteChangeSetOperator]:
    plan = build_plan(load_manifest(MANIFEST))
    dev = next(environment for environment in plan.environments if environment.name == "dev")
    common = {"target_label": LABEL, "targets": dev.catalog, "aws_conn_id": None}
    package = PackageOperator(task_id=PACKAGE, application="hello", template_path=plan.template_path, **common)
    change_set = CreateChangeSetOperator(
        task_id=CHANGE_SET,
        application="hello",
        capabilities=list(plan.capabilities),
        package_task_id=PACKAGE,
        poll_seconds=0.2,
        **common,
    )
    execute = ExecuteChangeSetOperator(
        task_id="dev.deploy.execute_change_set",
        application="hello",
        change_set_task_id=CHANGE_SET,
        approval_task_id=APPROVE,
        poll_seconds=0.2,
        **common,
    )
    return package, change_set, execute


def _approve(context: dict[str, Any], change_set: dict[str, Any]) -> None:
    """What the gate records when the approver says yes."""
    record = {"id": change_set["id"], "fingerprint": change_set["review"]["fingerprint"]}
    context["ti"].xcoms[(APPROVE, -1)] = {"approved_by": "approver", "change_sets": {LABEL: record}}


def _first_event(trigger: Any) -> dict[str, Any]:
    async def first() -> dict[str, Any]:
        async for event in trigger.run():
            return event.payload
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(asyncio.wait_for(first(), timeout=60))


def _deferred(call: Callable[[], Any]) -> TaskDeferred:
    with pytest.raises(TaskDeferred) as info:
        call()
    return info.value


def _calls(local_aws: str, operation: str) -> int:
    return int(fault_stats(local_aws).get(f"cloudformation:{operation}", {}).get("calls", 0))


def test_quick_operations_need_no_deferral_and_a_retry_does_nothing_twice(
    local_aws: str, context: dict[str, Any]
) -> None:
    package, create, execute = _operators()
    set_faults(local_aws, [latency("cloudformation:*", 0)])  # count the calls, change nothing
    ti = context["ti"]
    ti.xcoms[(PACKAGE, 0)] = package.execute(context)
    first = create.execute(context)
    ti.try_number = 2  # a retry (or a clear) of create: the same change set, not a second one
    again = create.execute(context)
    assert again["id"] == first["id"]
    # The retry's CreateChangeSet is refused (the name exists), and the change set made first is reused.
    assert _calls(local_aws, "CreateChangeSet") == 2
    assert _calls(local_aws, "DeleteChangeSet") == 0
    ti.xcoms[(CHANGE_SET, 0)] = first
    _approve(context, first)

    ti.try_number = 1
    assert execute.execute(context)["status"] == "CREATE_COMPLETE"
    ti.try_number = 2  # the worker died after executing: the retry reports the stack, never executes again
    assert execute.execute(context)["status"] == "CREATE_COMPLETE"
    assert _calls(local_aws, "ExecuteChangeSet") == 1
    # And package again: everything is in the bucket already.
    assert package.execute(context)["uploaded"] == []


def test_the_promotion_rule_refuses_before_any_change_set_and_records_what_passed(
    local_aws: str, context: dict[str, Any], task_ledger: Ledger
) -> None:
    plan = build_plan(load_manifest(MANIFEST))
    dev, staging = plan.environments[0], plan.environments[1]
    package, _, _ = _operators()
    create = CreateChangeSetOperator(
        task_id=CHANGE_SET,
        application="hello",
        capabilities=list(plan.capabilities),
        package_task_id=PACKAGE,
        previous_environment=staging,  # as if dev came after staging: 1.0.0 must have passed staging first
        poll_seconds=0.2,
        target_label=LABEL,
        targets=dev.catalog,
        aws_conn_id=None,
    )
    set_faults(local_aws, [latency("cloudformation:*", 0)])
    packaged = package.execute(context)
    context["ti"].xcoms[(PACKAGE, 0)] = packaged

    with pytest.raises(PermanentFailure, match=r"1\.0\.0 \(artifact \w{12}\) has not succeeded in staging"):
        create.execute(context)
    assert _calls(local_aws, "CreateChangeSet") == 0

    staged = task_ledger.start_attempt(
        application="hello",
        environment="staging",
        account_id="222222222222",
        region="eu-west-1",
        stack_name="hello-staging",
        version="1.0.0",
        dag_id="release__hello",
        run_id="manual__earlier",
        artifact_digest=packaged["digest"],
    )
    task_ledger.finish_attempt(staged, Outcome.SUCCEEDED)
    prepared = create.execute(context)

    assert _calls(local_aws, "CreateChangeSet") == 1
    attempt = task_ledger.find_attempt(
        dag_id="release__hello", run_id=RUN_ID, environment="dev", account_id="111111111111", region="eu-west-1"
    )
    assert attempt is not None
    assert (attempt.change_set_id, attempt.artifact_digest) == (prepared["id"], packaged["digest"])
    assert attempt.template_hash == packaged["template_sha256"]
    assert attempt.parameter_versions == prepared["parameter_versions"]


def test_slow_operations_defer_with_identifiers_only_and_resume(local_aws: str, context: dict[str, Any]) -> None:
    package, create, execute = _operators()
    set_faults(local_aws, [latency("cloudformation:*", 0)], change_set_seconds=4, stack_operation_seconds=10)
    ti = context["ti"]
    ti.xcoms[(PACKAGE, 0)] = package.execute(context)

    waiting = _deferred(lambda: create.execute(context))
    assert isinstance(waiting.trigger, ChangeSetReadyTrigger)
    assert waiting.method_name == "change_set_settled"
    # Nothing secret is stored with the deferral: identifiers, hashes and parameter versions only.
    stored = json.dumps([waiting.trigger.serialize(), waiting.kwargs])
    assert API_TOKEN not in stored
    assert f'"{GREETING}"' not in stored
    assert set(waiting.trigger.serialize()[1]) == {
        "stack_name", "change_set_id", "role_arn", "region_name", "session_name", "external_id",
        "aws_conn_id", "waiter_delay", "expected_seconds", "started_at", "timeout", "deadline",
    }  # fmt: skip
    event = _first_event(waiting.trigger)
    assert event["outcome"] == "ready"
    change_set = create.change_set_settled(context, event, **waiting.kwargs)
    assert change_set["change_set_type"] == "CREATE"
    assert change_set["review"]["summary"]["resources"]
    ti.xcoms[(CHANGE_SET, 0)] = change_set
    _approve(context, change_set)

    running = _deferred(lambda: execute.execute(context))
    assert isinstance(running.trigger, StackOperationTrigger)
    ti.try_number = 2  # the task is retried while the stack changes: it waits again, it does not execute again
    running_again = _deferred(lambda: execute.execute(context))
    assert _calls(local_aws, "ExecuteChangeSet") == 1
    event = _first_event(running_again.trigger)
    assert (event["outcome"], event["status"]) == ("complete", "CREATE_COMPLETE")
    result = execute.operation_finished(context, event, **(running_again.kwargs or {}))
    assert result["status"] == "CREATE_COMPLETE"
    assert "FunctionName" in result["outputs"]


def _release(
    context: dict[str, Any], version: str, operators: tuple[Any, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Package, create, approve and execute ``version`` in this run; the change set and execute XComs."""
    package, create, execute, _ = operators
    ti = context["ti"]
    context["params"]["version"] = version
    context["run_id"] = ti.run_id = f"manual__{version}"
    ti.xcoms[(PACKAGE, 0)] = package.execute(context)
    change_set = create.execute(context)
    ti.xcoms[(CHANGE_SET, 0)] = change_set
    _approve(context, change_set)
    return change_set, execute.execute(context)


def _with_smoke() -> tuple[Any, ...]:
    plan = build_plan(load_manifest(MANIFEST))
    dev = next(environment for environment in plan.environments if environment.name == "dev")
    smoke = SmokeTestOperator(
        task_id="dev.deploy.smoke_test",
        target_label=LABEL,
        targets=dev.catalog,
        aws_conn_id=None,
        checks=plan.smoke_checks,
        change_set_task_id=CHANGE_SET,
        execute_task_id="dev.deploy.execute_change_set",
        application="hello",
        package_task_id=PACKAGE,
        capabilities=list(plan.capabilities),
        rollback_rules=dev.rollback,
        poll_seconds=0.2,
    )
    return (*_operators(), smoke)


def test_a_failed_smoke_test_rolls_back_to_the_last_verified_release(
    local_aws: str, context: dict[str, Any], hello: HelloTarget
) -> None:
    operators = _with_smoke()
    smoke = operators[-1]
    _release(context, "1.0.0", operators)
    assert all(result["passed"] for result in smoke.execute(context))  # verified: recorded

    # 2.0.0 reads a greeting someone blanked in Parameter Store: the function answers, but not as it should.
    ssm = hello.session.client("ssm")
    ssm.put_parameter(Name="/flightdeck/hello/greeting", Value=" ", Type="String", Overwrite=True)
    _release(context, "2.0.0", operators)
    with pytest.raises(FlightdeckError) as info:
        smoke.execute(context)
    message = str(info.value)
    assert message.startswith("Smoke test failed: 1 of 3 checks")
    assert "greeting-data: expect_column_values_to_match_regex" in message
    assert (
        "Rollback: rolled back to 1.0.0 (deployed by run manual__1.0.0) and verified: 3 smoke check(s) passed"
        in message
    )
    assert context["ti"].pushed[ROLLBACK_KEY]["verified"] is True

    # The stack runs 1.0.0 again, with the greeting read at the version 1.0.0 read.
    stack = hello.session.client("cloudformation").describe_stacks(StackName="hello-dev")["Stacks"][0]
    tags = {tag["Key"]: tag["Value"] for tag in stack["Tags"]}
    assert tags["flightdeck:version"] == "1.0.0"
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert (parameters["AppVersion"], parameters["Greeting"]) == ("1.0.0", GREETING)


def test_the_next_release_waits_as_long_as_the_last_took_without_early_looks(
    local_aws: str, context: dict[str, Any], task_ledger: Ledger
) -> None:
    package, create, execute = _operators()
    set_faults(local_aws, [latency("cloudformation:*", 0)], change_set_seconds=3, stack_operation_seconds=4)
    ti = context["ti"]

    def release(version: str) -> tuple[TaskDeferred, TaskDeferred, int]:
        """Release ``version``; the two deferrals and how many looks the tasks took before deferring."""
        context["params"]["version"] = version
        context["run_id"] = ti.run_id = f"manual__{version}"
        ti.xcoms[(PACKAGE, 0)] = package.execute(context)
        before = _calls(local_aws, "DescribeChangeSet")
        creating = _deferred(lambda: create.execute(context))
        looks_at_start = _calls(local_aws, "DescribeChangeSet") - before
        ti.xcoms[(CHANGE_SET, 0)] = create.change_set_settled(
            context, _first_event(creating.trigger), **creating.kwargs
        )
        _approve(context, ti.xcoms[(CHANGE_SET, 0)])
        before = _calls(local_aws, "DescribeChangeSet") + _calls(local_aws, "DescribeStacks")
        running = _deferred(lambda: execute.execute(context))
        looks_at_start += _calls(local_aws, "DescribeChangeSet") + _calls(local_aws, "DescribeStacks") - before - 2
        execute.operation_finished(context, _first_event(running.trigger), **(running.kwargs or {}))
        return creating, running, looks_at_start

    first_create, first_execute, first_looks = release("1.0.0")
    assert (first_create.trigger.expected_seconds, first_execute.trigger.expected_seconds) == (None, None)
    assert first_looks == 2  # nothing recorded yet: one look in the task at each operation, in case it is over
    attempt = task_ledger.find_attempt(
        dag_id="release__hello",
        run_id="manual__1.0.0",
        environment="dev",
        account_id="111111111111",
        region="eu-west-1",
    )
    assert attempt is not None
    assert attempt.change_set_seconds is not None
    assert attempt.operation_seconds is not None
    assert 2.5 <= attempt.change_set_seconds < 5  # as the polls tell: it took 3 s
    assert 3.5 <= attempt.operation_seconds < 6

    second_create, second_execute, second_looks = release("2.0.0")
    assert second_create.trigger.expected_seconds == attempt.change_set_seconds
    assert second_execute.trigger.expected_seconds == attempt.operation_seconds
    assert second_looks == 0  # the tasks defer at once: the triggers first look when the last ones ended
