"""The CloudFormation triggers over real HTTP: run() polled directly with asyncio, as the triggerer would run it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from airflow.providers.amazon.aws.hooks.base_aws import BaseSessionFactory
from aws_helpers import DEV, EXTERNAL_ID, REGION, HelloTarget
from botocore.exceptions import ClientError

from flightdeck.aws.cloudformation import change_set_status, describe_stack
from flightdeck.aws.session import AccountSession, assume_role
from flightdeck.triggers import ChangeSetReadyTrigger, StackOperationTrigger
from flightdeck.triggers import stack as stack_trigger
from flightdeck.triggers.base import CloudFormationTrigger

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

CONN_ID = "flightdeck_triggers"
DEPLOY_ROLE = f"arn:aws:iam::{DEV}:role/flightdeck-deploy"
OWNER_ROLE = f"arn:aws:iam::{DEV}:role/OrganizationAccountAccessRole"
EXEC_ROLE = f"arn:aws:iam::{DEV}:role/flightdeck-cfn-exec"
STACK = "hello-dev"
TOPIC = {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "hello"}}}
# A parameter without Value: the change set accepts it, creating the resource fails (the emulator's failure model).
BROKEN = {"Broken": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/fd/broken", "Type": "String"}}}
OUTPUTS = {"TopicName": {"Value": {"Fn::GetAtt": ["Topic", "TopicName"]}}}
NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."


@pytest.fixture
def conn_id(local_aws: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The orchestrator's Airflow connection: its endpoints are the emulator, and nothing else points there."""
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    extra = {"endpoint_url": local_aws, "service_config": {"sts": {"endpoint_url": local_aws}}}
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({"conn_type": "aws", "extra": extra}))
    return CONN_ID


def _session(role_arn: str, name: str) -> AccountSession:
    return assume_role(
        aws_conn_id=CONN_ID, role_arn=role_arn, region=REGION, session_name=name, external_id=EXTERNAL_ID
    )


@pytest.fixture
def deploy(conn_id: str) -> AccountSession:
    """The orchestrator in the dev account (what the task that defers uses)."""
    return _session(DEPLOY_ROLE, "flightdeck-tests")


@pytest.fixture
def owner(conn_id: str) -> AccountSession:
    """Someone else: the dev account's owner, in a session of their own."""
    return _session(OWNER_ROLE, "account-owner")


def _change_set(session: AccountSession, name: str, resources: dict, *, outputs: dict | None = None) -> str:
    """Start creating a change set (CREATE for a new stack, else UPDATE); its id. Does not wait."""
    cfn = session.client("cloudformation")
    kind = "CREATE" if describe_stack(session, STACK) is None else "UPDATE"
    template = {"Resources": resources, **({"Outputs": outputs} if outputs else {})}
    return cfn.create_change_set(
        StackName=STACK,
        ChangeSetName=name,
        TemplateBody=json.dumps(template),
        ChangeSetType=kind,
        RoleARN=EXEC_ROLE,  # what the deploy role's policy requires
    )["Id"]


def _execute(session: AccountSession, change_set_id: str) -> None:
    session.client("cloudformation").execute_change_set(ChangeSetName=change_set_id, StackName=STACK)


def _trigger(cls: type[CloudFormationTrigger], change_set_id: str, **kwargs: Any) -> CloudFormationTrigger:
    return cls(
        stack_name=STACK,
        change_set_id=change_set_id,
        role_arn=DEPLOY_ROLE,
        region_name=REGION,
        session_name="flightdeck-trigger-tests",
        external_id=EXTERNAL_ID,
        aws_conn_id=CONN_ID,
        waiter_delay=0.1,
        **kwargs,
    )


def _run(trigger: CloudFormationTrigger, *, meanwhile: Callable[[], Any] | None = None) -> dict[str, Any]:
    """The trigger's first event; ``meanwhile`` runs (in a thread) once the trigger has been waiting a while.

    The triggerer re-makes a trigger from its serialised kwargs: that copy is the one run.
    """
    classpath, kwargs = trigger.serialize()
    assert classpath == f"{type(trigger).__module__}.{type(trigger).__name__}"
    remade = type(trigger)(**kwargs)
    remade.session_max_age = trigger.session_max_age

    async def first_event() -> dict[str, Any]:
        async for event in remade.run():
            payload = dict(event.payload)
            assert 0 <= payload.pop("seconds") < 60  # since the trigger was made
            return payload
        raise AssertionError("the trigger ended without an event")

    async def main() -> dict[str, Any]:
        waiting = asyncio.create_task(first_event())
        if meanwhile is not None:
            await asyncio.sleep(1.0)
            assert not waiting.done(), f"the trigger did not wait: {waiting.result()}"
            await asyncio.to_thread(meanwhile)
        return await asyncio.wait_for(waiting, timeout=30)

    return asyncio.run(main())


def _event(outcome: str, change_set_id: str, status: str, execution_status: str, reason: str = "", **more: Any):
    return {
        "outcome": outcome,
        "stack_name": STACK,
        "change_set_id": change_set_id,
        "status": status,
        "execution_status": execution_status,
        "reason": reason,
        "outputs": {},
        "termination_protection": None,
        **more,
    }


def test_change_set_ready(deploy: AccountSession) -> None:
    change_set_id = _change_set(deploy, "release-1", TOPIC)
    event = _run(_trigger(ChangeSetReadyTrigger, change_set_id))
    assert event == _event("ready", change_set_id, "CREATE_COMPLETE", "AVAILABLE")


def test_empty_change_set(deploy: AccountSession) -> None:
    _execute(deploy, _change_set(deploy, "release-1", TOPIC))
    change_set_id = _change_set(deploy, "release-2", TOPIC)
    event = _run(_trigger(ChangeSetReadyTrigger, change_set_id))
    assert event == _event("empty", change_set_id, "FAILED", "UNAVAILABLE", NO_CHANGES)


def test_stack_created_after_execute(deploy: AccountSession) -> None:
    change_set_id = _change_set(deploy, "release-1", TOPIC, outputs=OUTPUTS)
    _execute(deploy, change_set_id)
    event = _run(_trigger(StackOperationTrigger, change_set_id))
    assert event == _event(
        "complete",
        change_set_id,
        "CREATE_COMPLETE",
        "EXECUTE_COMPLETE",
        outputs={"TopicName": "hello"},
        termination_protection=False,
    )


@pytest.mark.parametrize(
    ("before", "status"), [(None, "ROLLBACK_COMPLETE"), (TOPIC, "UPDATE_ROLLBACK_COMPLETE")], ids=["create", "update"]
)
def test_stack_failure(deploy: AccountSession, before: dict | None, status: str) -> None:
    if before is not None:
        _execute(deploy, _change_set(deploy, "release-1", before))
    change_set_id = _change_set(deploy, "release-2", {**TOPIC, **BROKEN})
    _execute(deploy, change_set_id)

    event = _run(_trigger(StackOperationTrigger, change_set_id))

    assert (event["outcome"], event["status"], event["execution_status"]) == ("failed", status, "EXECUTE_FAILED")
    assert event["reason"].startswith("Broken (AWS::SSM::Parameter) CREATE_FAILED")


def test_waits_for_the_account_owner_to_execute(deploy: AccountSession, owner: AccountSession) -> None:
    change_set_id = _change_set(deploy, "release-1", TOPIC, outputs=OUTPUTS)

    event = _run(_trigger(StackOperationTrigger, change_set_id), meanwhile=lambda: _execute(owner, change_set_id))

    assert event == _event(
        "complete",
        change_set_id,
        "CREATE_COMPLETE",
        "EXECUTE_COMPLETE",
        outputs={"TopicName": "hello"},
        termination_protection=False,
    )
    described = deploy.client("cloudformation").describe_change_set(ChangeSetName=change_set_id, StackName=STACK)
    assert described["ExecutionStatus"] == "EXECUTE_COMPLETE"


def test_owner_execution_that_fails(deploy: AccountSession, owner: AccountSession) -> None:
    change_set_id = _change_set(deploy, "release-1", BROKEN)
    event = _run(_trigger(StackOperationTrigger, change_set_id), meanwhile=lambda: _execute(owner, change_set_id))
    assert (event["outcome"], event["status"]) == ("failed", "ROLLBACK_COMPLETE")
    assert "Broken" in event["reason"]


def test_the_bootstrapped_deploy_role_may_wait_for_the_owner(
    hello: HelloTarget, deploy: AccountSession, owner: AccountSession
) -> None:
    """In a bootstrapped account the emulator enforces the deploy role's policy: the trigger only reads."""
    with pytest.raises(ClientError, match="AccessDenied"):  # the policy is enforced: not in it
        deploy.client("cloudformation").list_stacks()
    change_set_id = _change_set(deploy, "release-1", TOPIC, outputs=OUTPUTS)
    event = _run(_trigger(StackOperationTrigger, change_set_id), meanwhile=lambda: _execute(owner, change_set_id))
    assert (event["outcome"], event["outputs"]) == ("complete", {"TopicName": "hello"})


def test_change_set_deleted_while_waiting(deploy: AccountSession, owner: AccountSession) -> None:
    _execute(deploy, _change_set(deploy, "release-1", TOPIC))
    change_set_id = _change_set(deploy, "release-2", {**TOPIC, "Queue": {"Type": "AWS::SQS::Queue"}})

    def discard() -> None:
        owner.client("cloudformation").delete_change_set(ChangeSetName=change_set_id, StackName=STACK)

    event = _run(_trigger(StackOperationTrigger, change_set_id), meanwhile=discard)

    reason = f"Change set {change_set_id} no longer exists and did not change the stack"
    assert event == _event("discarded", change_set_id, "", "", reason)


def test_another_change_set_executed_while_waiting(deploy: AccountSession, owner: AccountSession) -> None:
    _execute(deploy, _change_set(deploy, "release-1", TOPIC))
    change_set_id = _change_set(deploy, "release-2", {**TOPIC, "Queue": {"Type": "AWS::SQS::Queue"}})
    other = _change_set(owner, "by-hand", {**TOPIC, "Bucket": {"Type": "AWS::S3::Bucket"}})

    event = _run(_trigger(StackOperationTrigger, change_set_id), meanwhile=lambda: _execute(owner, other))

    assert event["outcome"] == "discarded"
    stack = deploy.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"  # the stack moved on without this change set


def test_timeout(deploy: AccountSession) -> None:
    change_set_id = _change_set(deploy, "release-1", TOPIC)
    event = _run(_trigger(StackOperationTrigger, change_set_id, timeout=1))
    reason = "Gave up after 1 s waiting for the change set to be executed"
    assert event == _event("timeout", change_set_id, "CREATE_COMPLETE", "AVAILABLE", reason)


@pytest.fixture
def assume_role_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every ``sts:AssumeRole`` the provider's session factory makes, with the credentials it got back."""
    calls: list[dict[str, Any]] = []
    original = BaseSessionFactory._assume_role

    def spy(factory: BaseSessionFactory, sts_client: Any) -> dict:
        response = original(factory, sts_client)
        calls.append(
            {
                "RoleArn": factory.role_arn,
                **factory.conn.assume_role_kwargs,
                "endpoint": sts_client.meta.endpoint_url,
                "AccessKeyId": response["Credentials"]["AccessKeyId"],
            }
        )
        return response

    monkeypatch.setattr(BaseSessionFactory, "_assume_role", spy)
    return calls


def test_the_role_is_assumed_again_from_the_connection(
    local_aws: str,
    deploy: AccountSession,
    assume_role_calls: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    change_set_id = _change_set(deploy, "release-1", TOPIC)
    polls: list[str] = []

    def counted(session: AccountSession, **kwargs: Any) -> Any:
        polls.append(kwargs["change_set_id"])
        return change_set_status(session, **kwargs)

    monkeypatch.setattr(stack_trigger, "change_set_status", counted)
    assume_role_calls.clear()
    trigger = _trigger(StackOperationTrigger, change_set_id, timeout=8)  # several polls, even on a loaded machine
    trigger.session_max_age = 0  # a new session for every poll (by default: every 10 minutes)

    event = _run(trigger)

    assert event["outcome"] == "timeout"
    assert len(polls) >= 2
    assert len(assume_role_calls) == len(polls)  # one sts:AssumeRole per poll
    assert len({call["AccessKeyId"] for call in assume_role_calls}) == len(polls)  # new credentials each time
    for call in assume_role_calls:
        assert call["RoleArn"] == DEPLOY_ROLE
        assert call["ExternalId"] == EXTERNAL_ID
        assert call["RoleSessionName"] == "flightdeck-trigger-tests"
        assert call["endpoint"] == local_aws  # the connection's service_config.sts endpoint


def test_one_session_serves_polls_until_it_is_old(
    deploy: AccountSession, assume_role_calls: list[dict[str, Any]]
) -> None:
    change_set_id = _change_set(deploy, "release-1", TOPIC)
    assume_role_calls.clear()
    event = _run(_trigger(StackOperationTrigger, change_set_id, timeout=1))
    assert event["outcome"] == "timeout"
    assert len(assume_role_calls) == 1
