"""Fault injection (fixed emulator only): throttling, latency and slow CloudFormation operations over real HTTP."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.retries.standard import ThrottledRetryableChecker
from localaws_helpers import Emulator, attempt, create_change_set, describe, parameter_template

from flightdeck.aws.session import RETRIES
from flightdeck.localaws.faults_client import (
    FaultsError,
    clear_faults,
    fault_stats,
    faults,
    get_faults,
    latency,
    set_faults,
    throttle,
)
from flightdeck.localaws.server import LocalAws

APP = parameter_template({"App": ("/app/name", "v1")})
APP_V2 = parameter_template({"App": ("/app/name", "v2")})
APP_V3 = parameter_template({"App": ("/app/name", "v3")})
FAST_WAIT = {"Delay": 0.2, "MaxAttempts": 50}
BOTOCORE_THROTTLING = set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES)


def _error(err: Exception | None) -> dict[str, Any]:
    assert isinstance(err, ClientError), err
    return {**err.response["Error"], "HTTPStatusCode": err.response["ResponseMetadata"]["HTTPStatusCode"]}


def _wait_while(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while predicate():
        assert time.monotonic() < deadline, "still in progress"
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("service", "operation", "call", "error"),
    [
        (
            "cloudformation",
            "cloudformation:DescribeStacks",
            "describe_stacks",
            {"Type": "Sender", "Code": "Throttling"},
        ),
        ("sts", "sts:GetCallerIdentity", "get_caller_identity", {"Type": "Sender", "Code": "Throttling"}),
        ("ssm", "ssm:DescribeParameters", "describe_parameters", {"Code": "ThrottlingException"}),
        ("secretsmanager", "secretsmanager:ListSecrets", "list_secrets", {"Code": "ThrottlingException"}),
    ],
)
def test_a_throttled_call_gets_awss_throttling_error(
    fixed: Emulator, service: str, operation: str, call: str, error: dict[str, str]
) -> None:
    client = fixed.client(service)  # one attempt: no retries
    set_faults(fixed.endpoint_url, [throttle(operation)])

    got = _error(attempt(getattr(client, call)))

    assert got == {**error, "Message": "Rate exceeded", "HTTPStatusCode": 400}
    assert got["Code"] in BOTOCORE_THROTTLING
    assert fault_stats(fixed.endpoint_url)[operation] == {"calls": 1, "throttled": 1, "delayed_seconds": 0.0}


def test_cloudformation_throttling_is_awss_query_error_document(fixed: Emulator) -> None:
    set_faults(fixed.endpoint_url, [throttle("cloudformation:*")])
    scope = "AKIAIOSFODNN7EXAMPLE/20240101/eu-west-1/cloudformation/aws4_request"
    request = urllib.request.Request(
        fixed.endpoint_url,
        data=b"Action=ListStacks&Version=2010-05-15",
        headers={
            "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    with pytest.raises(urllib.error.HTTPError) as raised:
        opener.open(request, timeout=30)

    assert raised.value.code == 400
    body = raised.value.read().decode()
    assert "<ErrorResponse" in body
    assert "<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>" in body
    assert "<RequestId>" in body


def test_throttling_follows_a_deterministic_pattern(fixed: Emulator) -> None:
    ssm = fixed.client("ssm")
    ssm.put_parameter(Name="/p", Value="v", Type="String")
    set_faults(fixed.endpoint_url, [throttle("ssm:GetParameter", 0.5), throttle("ssm:DescribeParameters", count=2)])

    halves = [attempt(ssm.get_parameter, Name="/p") is not None for _ in range(6)]
    counted = [attempt(ssm.describe_parameters) is not None for _ in range(4)]

    assert halves == [True, False] * 3  # every other call, starting with the first
    assert counted == [True, True, False, False]  # the first `count` calls only
    rules = get_faults(fixed.endpoint_url)["rules"]
    assert [(r["calls"], r["throttled"]) for r in rules] == [(6, 3), (4, 2)]


def test_adaptive_retries_get_through_half_the_calls_throttled(fixed: Emulator) -> None:
    cfn = fixed.session().client(
        "cloudformation", endpoint_url=fixed.endpoint_url, config=Config(retries=dict(RETRIES))
    )
    cfn.create_stack(StackName="app", TemplateBody=APP)
    set_faults(fixed.endpoint_url, [throttle("cloudformation:DescribeStacks", 0.5)])

    statuses = [describe(cfn, "app")["StackStatus"] for _ in range(2)]

    assert statuses == ["CREATE_COMPLETE"] * 2
    assert fault_stats(fixed.endpoint_url)["cloudformation:DescribeStacks"] == {
        "calls": 4,
        "throttled": 2,
        "delayed_seconds": 0.0,
    }


def test_latency_is_added_to_matching_calls(fixed: Emulator) -> None:
    ssm = fixed.client("ssm")
    with faults(fixed.endpoint_url, [latency("ssm:DescribeParameters", 0.3)]):
        started = time.monotonic()
        ssm.describe_parameters()
        elapsed = time.monotonic() - started
        ssm.get_parameters(Names=["/none"])
        stats = fault_stats(fixed.endpoint_url)

    assert elapsed >= 0.3
    assert stats["ssm:DescribeParameters"] == {"calls": 1, "throttled": 0, "delayed_seconds": 0.3}
    assert stats["ssm:GetParameters"]["delayed_seconds"] == 0
    assert get_faults(fixed.endpoint_url)["rules"] == []  # cleared on leaving the block


def test_a_change_set_is_created_then_executed_slowly(fixed: Emulator) -> None:
    cfn = fixed.client("cloudformation")
    set_faults(fixed.endpoint_url, change_set_seconds=0.5, stack_operation_seconds=1)  # change set L, execute 2L
    started = time.monotonic()

    create_change_set(cfn, "app", APP)
    creating = cfn.describe_change_set(StackName="app", ChangeSetName="release-1")
    refused = _error(attempt(cfn.execute_change_set, StackName="app", ChangeSetName="release-1"))
    cfn.get_waiter("change_set_create_complete").wait(
        StackName="app", ChangeSetName="release-1", WaiterConfig=FAST_WAIT
    )
    created = time.monotonic()
    cfn.execute_change_set(StackName="app", ChangeSetName="release-1")
    executing = (describe(cfn, "app")["StackStatus"], _execution_status(cfn, "app", "release-1"))
    cfn.get_waiter("stack_create_complete").wait(StackName="app", WaiterConfig=FAST_WAIT)

    assert (creating["Status"], creating["ExecutionStatus"], creating["Changes"]) == (
        "CREATE_IN_PROGRESS",
        "UNAVAILABLE",
        [],
    )
    assert refused["Code"] == "InvalidChangeSetStatus"
    assert "current status of [CREATE_IN_PROGRESS]" in refused["Message"]
    assert created - started >= 0.5
    assert executing == ("CREATE_IN_PROGRESS", "EXECUTE_IN_PROGRESS")
    assert time.monotonic() - created >= 1
    assert describe(cfn, "app")["StackStatus"] == "CREATE_COMPLETE"
    assert _execution_status(cfn, "app", "release-1") == "EXECUTE_COMPLETE"


def test_a_stack_being_updated_refuses_other_changes(fixed: Emulator) -> None:
    cfn = fixed.client("cloudformation")
    cfn.create_stack(StackName="app", TemplateBody=APP)
    set_faults(fixed.endpoint_url, stack_operation_seconds=1)
    create_change_set(cfn, "app", APP_V2, kind="UPDATE", name="v2")
    started = time.monotonic()

    cfn.execute_change_set(StackName="app", ChangeSetName="v2")
    shown = describe(cfn, "app")
    listed = cfn.list_stacks(StackStatusFilter=["UPDATE_IN_PROGRESS"])["StackSummaries"]
    again = _error(attempt(cfn.execute_change_set, StackName="app", ChangeSetName="v2"))
    other = _error(attempt(create_change_set, cfn, "app", APP_V3, kind="UPDATE", name="v3"))
    update = _error(attempt(cfn.update_stack, StackName="app", TemplateBody=APP_V3))
    _wait_while(lambda: describe(cfn, "app")["StackStatus"] == "UPDATE_IN_PROGRESS")

    assert (shown["StackStatus"], shown["StackStatusReason"]) == ("UPDATE_IN_PROGRESS", "User Initiated")
    assert [s["StackName"] for s in listed] == ["app"]
    assert again["Code"] == "InvalidChangeSetStatus"
    assert "current execution status of [EXECUTE_IN_PROGRESS]" in again["Message"]
    for refused in (other, update):
        assert refused["Code"] == "ValidationError"
        assert refused["Message"] == f"Stack:{shown['StackId']} is in UPDATE_IN_PROGRESS state and can not be updated."
    assert time.monotonic() - started >= 1
    assert describe(cfn, "app")["StackStatus"] == "UPDATE_COMPLETE"
    assert cfn.list_stacks(StackStatusFilter=["UPDATE_IN_PROGRESS"])["StackSummaries"] == []
    assert fixed.client("ssm").get_parameter(Name="/app/name")["Parameter"]["Value"] == "v2"
    # Accepted once the update is over; an UpdateStack keeps the stack busy too.
    create_change_set(cfn, "app", APP_V3, kind="UPDATE", name="later")
    cfn.update_stack(StackName="app", TemplateBody=APP_V3)
    busy = _error(attempt(cfn.execute_change_set, StackName="app", ChangeSetName="later"))
    assert describe(cfn, "app")["StackStatus"] == "UPDATE_IN_PROGRESS"
    assert (busy["Code"], busy["Message"]) == ("ValidationError", update["Message"])


def test_reset_and_delete_clear_every_fault(fixed: Emulator, local_aws_server: LocalAws) -> None:
    cfn = fixed.client("cloudformation")
    set_faults(fixed.endpoint_url, [throttle("*"), latency("*", 5)], change_set_seconds=60)
    local_aws_server.reset()

    create_change_set(cfn, "app", APP)  # neither throttled nor delayed
    assert cfn.describe_change_set(StackName="app", ChangeSetName="release-1")["Status"] == "CREATE_COMPLETE"
    assert get_faults(fixed.endpoint_url) == {
        "rules": [],
        "cloudformation": {"change_set_seconds": 0.0, "stack_operation_seconds": 0.0, "rollback_failure": None},
        "stats": {},
    }

    set_faults(fixed.endpoint_url, change_set_seconds=60, stack_operation_seconds=60)
    create_change_set(cfn, "app", APP, name="release-2")
    cfn.create_stack(StackName="web", TemplateBody=APP_V2)
    creating = describe(cfn, "web")
    refused = _error(attempt(create_change_set, cfn, "web", APP_V3, kind="UPDATE"))
    clear_faults(fixed.endpoint_url)

    assert creating["StackStatus"] == "CREATE_IN_PROGRESS"
    assert refused["Message"] == f"Stack:{creating['StackId']} is in CREATE_IN_PROGRESS state and can not be updated."
    assert cfn.describe_change_set(StackName="app", ChangeSetName="release-2")["Status"] == "CREATE_COMPLETE"
    assert describe(cfn, "web")["StackStatus"] == "CREATE_COMPLETE"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"operation": "ssm:GetParameter", "throttle_rate": 2}, "throttle_rate must be a number from 0 to 1"),
        ({"operation": "GetParameter"}, "operation must be 'service:Action'"),
        ({"operation": "ssm:*", "rate": 0.5}, "unknown keys ['rate']"),
        ({"operation": "ssm:*", "count": -1}, "count must be a whole number"),
    ],
)
def test_an_invalid_rule_is_refused_with_the_reason(fixed: Emulator, rule: dict[str, Any], message: str) -> None:
    with pytest.raises(FaultsError, match="HTTP 400") as raised:
        set_faults(fixed.endpoint_url, [rule])

    assert message in str(raised.value)
    assert get_faults(fixed.endpoint_url)["rules"] == []


def _execution_status(cfn: Any, stack: str, name: str) -> str:
    return cfn.describe_change_set(StackName=stack, ChangeSetName=name)["ExecutionStatus"]
