"""Change sets of the hello application: create, execute once, empty on no change, failures explained."""

from __future__ import annotations

import json

import pytest
from aws_helpers import DEV, GREETING, REGION, HelloTarget

from flightdeck.aws.cloudformation import (
    create_change_set,
    delete_change_set,
    describe_stack,
    execute_change_set,
)
from flightdeck.aws.session import AccountSession
from flightdeck.errors import DeploymentError

pytestmark = pytest.mark.integration

EXEC_ROLE = f"arn:aws:iam::{DEV}:role/flightdeck-cfn-exec"
# A parameter without Value: accepted by the change set, fails when CloudFormation creates it.
BROKEN = {"Broken": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/fd/x", "Type": "String"}}}
TOPIC = {"Topic": {"Type": "AWS::SNS::Topic"}}
STARTS = ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS")


def _stack_starts(session: AccountSession, stack_name: str) -> int:
    events = session.client("cloudformation").describe_stack_events(StackName=stack_name)["StackEvents"]
    return sum(e["LogicalResourceId"] == stack_name and e["ResourceStatus"] in STARTS for e in events)


def _deploy(hello: HelloTarget, version: str, name: str):
    change_set = hello.change_set(version, name)
    return execute_change_set(hello.session, stack_name=hello.stack_name, change_set_id=change_set.id)


def test_create_and_execute(hello: HelloTarget) -> None:
    change_set = hello.change_set("1.0.0", "release-1")
    assert change_set.change_set_type == "CREATE"
    assert change_set.status == "CREATE_COMPLETE"
    assert not change_set.is_empty
    assert {(c.action, c.logical_id, c.resource_type) for c in change_set.changes} == {
        ("Add", "FunctionRole", "AWS::IAM::Role"),
        ("Add", "Function", "AWS::Lambda::Function"),
        ("Add", "DeployedVersionParameter", "AWS::SSM::Parameter"),
        ("Add", "FunctionUrl", "AWS::Lambda::Url"),
        ("Add", "FunctionUrlPermission", "AWS::Lambda::Permission"),
        ("Add", "FunctionUrlInvokePermission", "AWS::Lambda::Permission"),
    }

    stack = execute_change_set(hello.session, stack_name="hello-dev", change_set_id=change_set.id)
    assert stack.status == "CREATE_COMPLETE"
    assert set(stack.outputs) == {"FunctionName", "FunctionArn", "ApiMessage", "ApiUrl"}
    assert stack.outputs["ApiMessage"] == f"{GREETING} from dev"
    assert stack.outputs["FunctionArn"].endswith(f":function:{stack.outputs['FunctionName']}")
    assert stack.tags == {"flightdeck:application": "hello", "flightdeck:version": "1.0.0"}
    assert stack.parameters["AppVersion"] == "1.0.0"
    parameter = hello.session.client("ssm").get_parameter(Name="/flightdeck/hello/dev/deployed-version")
    assert parameter["Parameter"]["Value"] == "1.0.0"


def test_same_inputs_again_give_an_empty_change_set(hello: HelloTarget) -> None:
    _deploy(hello, "1.0.0", "release-1")
    again = hello.change_set("1.0.0", "release-2")
    assert again.change_set_type == "UPDATE"
    assert again.is_empty
    assert again.to_dict()["is_empty"] is True


def test_new_version_updates_the_stack(hello: HelloTarget) -> None:
    first = _deploy(hello, "1.0.0", "release-1")
    change_set = hello.change_set("1.1.0", "release-2")
    assert change_set.change_set_type == "UPDATE"
    assert not change_set.is_empty
    stack = execute_change_set(hello.session, stack_name="hello-dev", change_set_id=change_set.id)
    assert stack.stack_id == first.stack_id
    assert stack.status == "UPDATE_COMPLETE"
    assert stack.tags["flightdeck:version"] == "1.1.0"
    parameter = hello.session.client("ssm").get_parameter(Name="/flightdeck/hello/dev/deployed-version")
    assert parameter["Parameter"]["Value"] == "1.1.0"


def test_a_retry_reuses_the_change_set_of_that_name(hello: HelloTarget) -> None:
    first = hello.change_set("1.0.0", "release-1")
    second = hello.change_set("1.0.0", "release-1")
    assert second.id == first.id
    assert second.changes == first.changes


def test_a_change_set_is_executed_once(hello: HelloTarget) -> None:
    change_set = hello.change_set("1.0.0", "release-1")
    first = execute_change_set(hello.session, stack_name="hello-dev", change_set_id=change_set.id)
    again = execute_change_set(hello.session, stack_name="hello-dev", change_set_id=change_set.id)
    assert again.status == first.status == "CREATE_COMPLETE"
    assert _stack_starts(hello.session, "hello-dev") == 1


def test_delete_change_set(hello: HelloTarget) -> None:
    _deploy(hello, "1.0.0", "release-1")
    change_set = hello.change_set("2.0.0", "release-2")
    delete_change_set(hello.session, stack_name="hello-dev", change_set_id=change_set.id)
    cfn = hello.session.client("cloudformation")
    with pytest.raises(cfn.exceptions.ChangeSetNotFoundException):
        cfn.describe_change_set(ChangeSetName=change_set.id, StackName="hello-dev")
    delete_change_set(hello.session, stack_name="hello-dev", change_set_id=change_set.id)  # gone: fine
    assert describe_stack(hello.session, "hello-dev").status == "CREATE_COMPLETE"


def _broken_change_set(session: AccountSession, stack_name: str, name: str, resources: dict):
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    return create_change_set(
        session,
        stack_name=stack_name,
        change_set_name=name,
        template_body=json.dumps(template),
        parameters={},
        tags={},
        capabilities=[],
        execution_role_arn=EXEC_ROLE,
    )


def test_failed_creation_names_account_region_stack_status_and_reason(hello: HelloTarget) -> None:
    change_set = _broken_change_set(hello.session, "hello-broken", "try-1", BROKEN)
    with pytest.raises(DeploymentError) as caught:
        execute_change_set(hello.session, stack_name="hello-broken", change_set_id=change_set.id)
    error = caught.value
    assert (error.account, error.region, error.stack) == (DEV, REGION, "hello-broken")
    assert error.status == "ROLLBACK_COMPLETE"
    assert "Broken" in error.reason
    for part in (DEV, REGION, "hello-broken", "ROLLBACK_COMPLETE", "Broken"):
        assert part in str(error)

    # A stack whose creation failed cannot be updated: the next change set replaces it.
    retry = _broken_change_set(hello.session, "hello-broken", "try-2", TOPIC)
    assert retry.change_set_type == "CREATE"
    stack = execute_change_set(hello.session, stack_name="hello-broken", change_set_id=retry.id)
    assert stack.status == "CREATE_COMPLETE"


def test_failed_update_rolls_back(hello: HelloTarget) -> None:
    created = _broken_change_set(hello.session, "hello-update", "try-1", TOPIC)
    execute_change_set(hello.session, stack_name="hello-update", change_set_id=created.id)
    change_set = _broken_change_set(hello.session, "hello-update", "try-2", {**TOPIC, **BROKEN})
    with pytest.raises(DeploymentError) as caught:
        execute_change_set(hello.session, stack_name="hello-update", change_set_id=change_set.id)
    assert caught.value.status == "UPDATE_ROLLBACK_COMPLETE"
    assert "Broken" in caught.value.reason
    assert describe_stack(hello.session, "hello-update").status == "UPDATE_ROLLBACK_COMPLETE"
