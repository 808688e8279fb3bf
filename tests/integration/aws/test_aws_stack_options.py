"""Stack options of the hello application: notifications, rollback triggers, termination protection, stack policy."""

from __future__ import annotations

import json

import pytest
from aws_helpers import DEV, HELLO, REGION, HelloTarget, admin_session, artifact_bucket
from botocore.exceptions import ClientError

from flightdeck.aws.cloudformation import ChangeSet, create_change_set, describe_stack, execute_change_set
from flightdeck.aws.packaging import package_template, upload_package
from flightdeck.aws.parameters import resolve_parameters
from flightdeck.aws.stack_options import StackOptions, apply_stack_options, change_set_arguments
from flightdeck.errors import DeploymentError, FlightdeckError

pytestmark = pytest.mark.integration

TOPIC = f"arn:aws:sns:{REGION}:{DEV}:hello-releases"
ALARM = f"arn:aws:cloudwatch:{REGION}:{DEV}:alarm:hello-errors"
POLICY = json.dumps(
    {
        "Statement": [
            {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "Update:Delete", "Principal": "*", "Resource": "LogicalResourceId/Function"},
        ]
    }
)
PROTECTED = StackOptions(
    termination_protection=True,
    stack_policy_json=POLICY,
    notification_arns=(TOPIC,),
    rollback_alarms=(ALARM,),
    rollback_monitoring_minutes=15,
)


@pytest.fixture
def watched(hello: HelloTarget) -> HelloTarget:
    """The hello target, with the SNS topic and the CloudWatch alarm its stack options name."""
    admin = admin_session(DEV)
    admin.client("sns").create_topic(Name="hello-releases")
    admin.client("cloudwatch").put_metric_alarm(
        AlarmName="hello-errors",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    return hello


def _change_set(hello: HelloTarget, version: str, name: str, options: StackOptions | None) -> ChangeSet:
    """What ``HelloTarget.change_set`` does, with stack options."""
    upload = upload_package(hello.session, artifact_bucket(DEV), package_template(HELLO, key_prefix="hello"))
    sources = [
        ("Greeting", "ssm", "/flightdeck/hello/greeting"),
        ("LogLevel", "literal", "DEBUG"),
        ("AppVersion", "release", "version"),
        ("EnvironmentName", "literal", hello.environment),
    ]
    return create_change_set(
        hello.session,
        stack_name=hello.stack_name,
        change_set_name=name,
        template_url=upload.template_url,
        parameters=resolve_parameters(hello.session, sources, release={"version": version, "run_id": name}),
        tags={"flightdeck:application": "hello", "flightdeck:version": version},
        capabilities=["CAPABILITY_IAM"],
        execution_role_arn=f"arn:aws:iam::{DEV}:role/flightdeck-cfn-exec",
        options=options,
    )


def _release(hello: HelloTarget, version: str, name: str, options: StackOptions | None) -> ChangeSet:
    """Create the change set, execute it unless it is empty, then apply the options (as a release would)."""
    change_set = _change_set(hello, version, name, options)
    if not change_set.is_empty:
        execute_change_set(hello.session, stack_name=hello.stack_name, change_set_id=change_set.id)
    if options is not None:
        apply_stack_options(hello.session, stack_name=hello.stack_name, options=options)
    return change_set


def _described(hello: HelloTarget) -> dict:
    return hello.session.client("cloudformation").describe_stacks(StackName=hello.stack_name)["Stacks"][0]


def test_options_reach_the_stack(watched: HelloTarget) -> None:
    change_set = _change_set(watched, "1.0.0", "release-1", PROTECTED)
    cfn = watched.session.client("cloudformation")
    described = cfn.describe_change_set(StackName="hello-dev", ChangeSetName=change_set.id)
    rollback = {"RollbackTriggers": [{"Arn": ALARM, "Type": "AWS::CloudWatch::Alarm"}], "MonitoringTimeInMinutes": 15}
    assert described["NotificationARNs"] == [TOPIC]
    assert described["RollbackConfiguration"] == rollback

    stack = execute_change_set(watched.session, stack_name="hello-dev", change_set_id=change_set.id)
    assert stack.status == "CREATE_COMPLETE"
    assert stack.termination_protection is False  # not part of a change set: applied next
    apply_stack_options(watched.session, stack_name="hello-dev", options=PROTECTED)

    raw = _described(watched)
    assert raw["NotificationARNs"] == [TOPIC]
    assert raw["RollbackConfiguration"] == rollback
    assert raw["EnableTerminationProtection"] is True
    assert describe_stack(watched.session, "hello-dev").termination_protection is True
    assert json.loads(cfn.get_stack_policy(StackName="hello-dev")["StackPolicyBody"]) == json.loads(POLICY)


def test_an_update_switches_protection_off(watched: HelloTarget) -> None:
    _release(watched, "1.0.0", "release-1", PROTECTED)
    assert describe_stack(watched.session, "hello-dev").termination_protection is True

    unprotected = StackOptions(notification_arns=(TOPIC,), rollback_alarms=(ALARM,), rollback_monitoring_minutes=15)
    change_set = _release(watched, "1.1.0", "release-2", unprotected)

    assert change_set.change_set_type == "UPDATE"
    assert not change_set.is_empty
    stack = describe_stack(watched.session, "hello-dev")
    assert (stack.status, stack.termination_protection) == ("UPDATE_COMPLETE", False)
    assert stack.parameters["AppVersion"] == "1.1.0"
    # No policy in the options leaves the stack's policy as it was (CloudFormation cannot remove one).
    cfn = watched.session.client("cloudformation")
    assert json.loads(cfn.get_stack_policy(StackName="hello-dev")["StackPolicyBody"]) == json.loads(POLICY)


def test_options_alone_need_no_execution(watched: HelloTarget) -> None:
    _release(watched, "1.0.0", "release-1", StackOptions())
    assert describe_stack(watched.session, "hello-dev").termination_protection is False

    change_set = _release(watched, "1.0.0", "release-2", StackOptions(termination_protection=True))

    assert change_set.is_empty  # same template and parameters: nothing to execute, protection applied anyway
    assert describe_stack(watched.session, "hello-dev").termination_protection is True


def test_options_left_out_keep_what_the_stack_has(watched: HelloTarget) -> None:
    # change_set_arguments passes NotificationARNs and RollbackConfiguration only when set: CloudFormation then
    # keeps the stack's, so dropping them from a target does not remove them from its stack.
    _release(watched, "1.0.0", "release-1", PROTECTED)

    _release(watched, "1.1.0", "release-2", StackOptions(termination_protection=True))

    raw = _described(watched)
    assert raw["NotificationARNs"] == [TOPIC]
    assert raw["RollbackConfiguration"]["RollbackTriggers"] == [{"Arn": ALARM, "Type": "AWS::CloudWatch::Alarm"}]


def test_without_options_the_stack_has_none(hello: HelloTarget) -> None:
    change_set = _change_set(hello, "1.0.0", "release-1", None)
    stack = execute_change_set(hello.session, stack_name="hello-dev", change_set_id=change_set.id)

    assert stack.termination_protection is False
    raw = _described(hello)
    assert (raw["NotificationARNs"], raw["RollbackConfiguration"]) == ([], {})
    assert "StackPolicyBody" not in hello.session.client("cloudformation").get_stack_policy(StackName="hello-dev")


def test_deleting_a_protected_stack_fails(watched: HelloTarget) -> None:
    _release(watched, "1.0.0", "release-1", PROTECTED)
    cfn = watched.session.client("cloudformation")

    with pytest.raises(ClientError) as caught:
        cfn.delete_stack(StackName="hello-dev")

    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"] == "Stack [hello-dev] cannot be deleted while TerminationProtection is enabled"
    assert describe_stack(watched.session, "hello-dev").status == "CREATE_COMPLETE"
    apply_stack_options(watched.session, stack_name="hello-dev", options=StackOptions())
    cfn.delete_stack(StackName="hello-dev")
    assert describe_stack(watched.session, "hello-dev") is None


def test_applying_options_to_a_missing_stack_names_it(hello: HelloTarget) -> None:
    with pytest.raises(DeploymentError) as caught:
        apply_stack_options(hello.session, stack_name="hello-nope", options=PROTECTED)

    assert (caught.value.account, caught.value.region, caught.value.stack) == (DEV, REGION, "hello-nope")
    assert "termination protection on" in str(caught.value)
    assert "does not exist" in caught.value.reason


def test_change_set_arguments_only_when_set() -> None:
    assert change_set_arguments(None) == {}
    assert change_set_arguments(StackOptions(termination_protection=True, stack_policy_json=POLICY)) == {}
    assert change_set_arguments(StackOptions(rollback_monitoring_minutes=30)) == {
        "RollbackConfiguration": {"RollbackTriggers": [], "MonitoringTimeInMinutes": 30}
    }
    assert change_set_arguments(PROTECTED) == {
        "NotificationARNs": [TOPIC],
        "RollbackConfiguration": {
            "RollbackTriggers": [{"Arn": ALARM, "Type": "AWS::CloudWatch::Alarm"}],
            "MonitoringTimeInMinutes": 15,
        },
    }


def test_options_from_json_lists_are_tuples() -> None:
    options = StackOptions(notification_arns=[TOPIC], rollback_alarms=[ALARM])  # type: ignore[arg-type]
    assert options == StackOptions(notification_arns=(TOPIC,), rollback_alarms=(ALARM,))
    assert hash(options) == hash(StackOptions(notification_arns=(TOPIC,), rollback_alarms=(ALARM,)))


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"notification_arns": (TOPIC,) * 6}, "at most 5 notification ARNs"),
        ({"notification_arns": (ALARM,)}, "not an SNS topic ARN"),
        ({"notification_arns": TOPIC}, "not one string"),
        ({"rollback_alarms": (ALARM,) * 6}, "at most 5 rollback alarms"),
        ({"rollback_alarms": (TOPIC,)}, "not a CloudWatch alarm ARN"),
        ({"rollback_monitoring_minutes": 181}, "0-180"),
        ({"rollback_monitoring_minutes": -1}, "0-180"),
        ({"stack_policy_json": "{not json"}, "not JSON"),
        ({"stack_policy_json": "[]"}, "with a Statement"),
        ({"stack_policy_json": json.dumps({"Statement": [], "x": "y" * 16384})}, "at most 16384"),
        ({"termination_protection": "yes"}, "true or false"),
    ],
)
def test_invalid_options_are_refused(options: dict, problem: str) -> None:
    with pytest.raises(FlightdeckError, match=problem):
        StackOptions(**options)
