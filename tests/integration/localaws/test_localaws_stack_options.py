"""Stack options: termination protection, rollback configuration, notification ARNs and stack policy."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
from localaws_helpers import DEV, REGION, Emulator, attempt, create_change_set, deploy, describe, parameter_template

TEMPLATE = parameter_template({"A": ("/a", "1")})
CHANGED = parameter_template({"A": ("/a", "2")})
AGAIN = parameter_template({"A": ("/a", "3")})
ALARM = f"arn:aws:cloudwatch:{REGION}:{DEV}:alarm:errors"
OTHER_ALARM = f"arn:aws:cloudwatch:{REGION}:{DEV}:alarm:latency"
ROLLBACK = {"RollbackTriggers": [{"Arn": ALARM, "Type": "AWS::CloudWatch::Alarm"}], "MonitoringTimeInMinutes": 10}
POLICY = {"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}
PROTECTED = "Stack [app] cannot be deleted while TerminationProtection is enabled"


def _topics(emulator: Emulator, *names: str) -> list[str]:
    """SNS topics (moto publishes each stack event to them, and fails a request naming a missing one)."""
    sns = emulator.client("sns")
    return [sns.create_topic(Name=name)["TopicArn"] for name in names]


def _rollback(stack_or_change_set: dict[str, Any]) -> dict[str, Any] | None:
    return stack_or_change_set.get("RollbackConfiguration")


def test_termination_protection_is_switched_on_and_off(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    assert deploy(cfn, "app", TEMPLATE) is None

    error = attempt(cfn.update_termination_protection, StackName="app", EnableTerminationProtection=True)

    if emulator.stock:  # not implemented: HTTP 500 with an HTML body
        assert isinstance(error, ResponseParserError)
        assert describe(cfn, "app")["EnableTerminationProtection"] is False
        return
    assert error is None
    assert describe(cfn, "app")["EnableTerminationProtection"] is True
    answer = cfn.update_termination_protection(StackName="app", EnableTerminationProtection=False)
    assert answer["StackId"] == describe(cfn, "app")["StackId"]
    assert describe(cfn, "app")["EnableTerminationProtection"] is False
    missing = attempt(cfn.update_termination_protection, StackName="nope", EnableTerminationProtection=True)
    assert isinstance(missing, ClientError)
    assert missing.response["Error"]["Code"] == "ValidationError"
    assert "does not exist" in missing.response["Error"]["Message"]


def test_a_protected_stack_cannot_be_deleted(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    # CreateStack takes the flag on plain moto too, so the refusal is what is under test.
    cfn.create_stack(StackName="app", TemplateBody=TEMPLATE, EnableTerminationProtection=True)
    assert describe(cfn, "app")["EnableTerminationProtection"] is True

    error = attempt(cfn.delete_stack, StackName="app")

    if emulator.stock:
        assert error is None
        assert attempt(describe, cfn, "app") is not None  # gone
        return
    assert isinstance(error, ClientError)
    assert error.response["Error"]["Code"] == "ValidationError"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.response["Error"]["Message"] == PROTECTED
    assert describe(cfn, "app")["StackStatus"] == "CREATE_COMPLETE"
    cfn.update_termination_protection(StackName="app", EnableTerminationProtection=False)
    assert attempt(cfn.delete_stack, StackName="app") is None
    assert attempt(describe, cfn, "app") is not None


def test_rollback_configuration_of_a_change_set_is_kept(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    create_change_set(cfn, "app", TEMPLATE, RollbackConfiguration=ROLLBACK)

    described = cfn.describe_change_set(StackName="app", ChangeSetName="release-1")
    cfn.execute_change_set(StackName="app", ChangeSetName="release-1")

    stack = describe(cfn, "app")
    if emulator.stock:
        assert _rollback(described) is None
        assert _rollback(stack) is None
        return
    assert _rollback(described) == ROLLBACK
    assert _rollback(stack) == ROLLBACK


def test_an_update_keeps_replaces_or_removes_the_rollback_configuration(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    assert deploy(cfn, "app", TEMPLATE, RollbackConfiguration=ROLLBACK) is None
    replaced = {"RollbackTriggers": [{"Arn": OTHER_ALARM, "Type": "AWS::CloudWatch::Alarm"}]}

    assert deploy(cfn, "app", CHANGED, kind="UPDATE", name="release-2", RollbackConfiguration=replaced) is None

    if emulator.stock:
        assert _rollback(describe(cfn, "app")) is None
        return
    # Given triggers replace the previous ones; the monitoring time not given stays.
    assert _rollback(describe(cfn, "app")) == {**replaced, "MonitoringTimeInMinutes": 10}
    # Not given at all: AWS keeps the stack's configuration.
    assert deploy(cfn, "app", AGAIN, kind="UPDATE", name="release-3") is None
    assert _rollback(describe(cfn, "app")) == {**replaced, "MonitoringTimeInMinutes": 10}
    # An empty list of triggers removes them.
    removed = {"RollbackTriggers": [], "MonitoringTimeInMinutes": 0}
    assert deploy(cfn, "app", TEMPLATE, kind="UPDATE", name="release-4", RollbackConfiguration=removed) is None
    assert _rollback(describe(cfn, "app")) == removed
    # A stack never given one shows an empty configuration, as AWS does.
    cfn.create_stack(StackName="plain", TemplateBody=TEMPLATE)
    assert _rollback(describe(cfn, "plain")) == {}


def test_notification_arns_of_an_update_change_set(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    first, second = _topics(emulator, "releases", "alerts")
    assert deploy(cfn, "app", TEMPLATE, NotificationARNs=[first]) is None
    assert describe(cfn, "app")["NotificationARNs"] == [first]  # a CREATE change set's: kept by plain moto too

    assert deploy(cfn, "app", CHANGED, kind="UPDATE", name="release-2", NotificationARNs=[second]) is None

    if emulator.stock:  # the update's topics are ignored
        assert describe(cfn, "app")["NotificationARNs"] == [first]
        return
    assert describe(cfn, "app")["NotificationARNs"] == [second]
    # Not given: AWS keeps the stack's topics; an empty list removes them.
    assert deploy(cfn, "app", AGAIN, kind="UPDATE", name="release-3") is None
    assert describe(cfn, "app")["NotificationARNs"] == [second]
    assert deploy(cfn, "app", TEMPLATE, kind="UPDATE", name="release-4", NotificationARNs=[]) is None
    assert describe(cfn, "app")["NotificationARNs"] == []


def test_a_failed_update_leaves_the_options_as_they_were(fixed: Emulator) -> None:
    cfn = fixed.client("cloudformation")
    (topic,) = _topics(fixed, "releases")
    assert deploy(cfn, "app", TEMPLATE) is None
    broken = parameter_template({"A": ("/a", "1"), "B": ("/b", None)})  # a parameter without Value fails

    error = deploy(
        cfn, "app", broken, kind="UPDATE", name="release-2", NotificationARNs=[topic], RollbackConfiguration=ROLLBACK
    )

    assert error is None
    stack = describe(cfn, "app")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert (stack["NotificationARNs"], _rollback(stack)) == ([], {})


def test_stack_policy_of_a_stack_created_by_a_change_set(emulator: Emulator) -> None:
    # No gap: plain moto keeps the policy of any stack (and, like the fixed server, does not enforce it).
    cfn = emulator.client("cloudformation")
    assert deploy(cfn, "app", TEMPLATE) is None
    assert "StackPolicyBody" not in cfn.get_stack_policy(StackName="app")

    cfn.set_stack_policy(StackName="app", StackPolicyBody=json.dumps(POLICY))

    assert json.loads(cfn.get_stack_policy(StackName="app")["StackPolicyBody"]) == POLICY
