"""Drift of the hello app through the deploy role: detected, reported without values, reverted by REVERT_DRIFT."""

from __future__ import annotations

import json

import pytest
from aws_helpers import API_TOKEN, DEV, HelloTarget, admin_session

from flightdeck.aws.cloudformation import (
    execute_change_set,
    read_change_set,
    start_change_set,
)
from flightdeck.aws.drift import (
    DriftReport,
    PropertyDrift,
    ResourceDrift,
    drift_detection_status,
    drift_report,
    start_drift_detection,
)
from flightdeck.aws.parameters import resolve_parameters
from flightdeck.errors import DeploymentError
from flightdeck.triggers import ChangeSetReadyTrigger, DriftDetectionTrigger

pytestmark = pytest.mark.integration

MARKER = "/flightdeck/hello/dev/deployed-version"
EXEC_ROLE = f"arn:aws:iam::{DEV}:role/flightdeck-cfn-exec"


def _detect(hello: HelloTarget) -> DriftReport:
    detection_id = start_drift_detection(hello.session, hello.stack_name)
    trigger = DriftDetectionTrigger(
        detection_id=detection_id,
        stack_name=hello.stack_name,
        role_arn=f"arn:aws:iam::{DEV}:role/flightdeck-deploy",
        region_name=hello.session.region,
        session_name="flightdeck-tests",
        external_id="flightdeck-demo",
        aws_conn_id=None,
    )
    event = trigger.poll(hello.session)
    assert event is not None
    assert event["outcome"] == "complete", event
    assert event["detection_id"] == detection_id
    return drift_report(hello.session, hello.stack_name, drift_detection_status(hello.session, "", detection_id))


def _deployed(hello: HelloTarget) -> None:
    change_set = hello.change_set("1.0.0", "release-1")
    execute_change_set(hello.session, stack_name=hello.stack_name, change_set_id=change_set.id)


def test_drift_is_found_reported_without_values_and_reverted(hello: HelloTarget) -> None:
    _deployed(hello)
    owner = admin_session(DEV)
    function = owner.client("cloudformation").describe_stack_resource(
        StackName=hello.stack_name, LogicalResourceId="Function"
    )["StackResourceDetail"]["PhysicalResourceId"]
    lambda_ = owner.client("lambda")
    variables = lambda_.get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    owner.client("ssm").put_parameter(Name=MARKER, Value="hand-made-9.9", Type="String", Overwrite=True)
    lambda_.update_function_configuration(
        FunctionName=function, Environment={"Variables": {**variables, "LOG_LEVEL": "ERROR"}}
    )

    report = _detect(hello)

    assert report == DriftReport(
        stack_name=hello.stack_name,
        status="DRIFTED",
        detection_status="DETECTION_COMPLETE",
        resources=(
            ResourceDrift(
                "DeployedVersionParameter", "AWS::SSM::Parameter", "MODIFIED", (PropertyDrift("/Value", "NOT_EQUAL"),)
            ),
            ResourceDrift(
                "Function",
                "AWS::Lambda::Function",
                "MODIFIED",
                (PropertyDrift("/Environment/Variables/LOG_LEVEL", "NOT_EQUAL"),),
            ),
        ),
    )
    shown = json.dumps(report.to_dict())
    for value in ("hand-made-9.9", API_TOKEN, "ERROR"):  # no value of either side, secrets or not
        assert value not in shown
    assert DriftReport.from_dict(report.to_dict()) == report
    assert "DeployedVersionParameter (AWS::SSM::Parameter) MODIFIED: /Value NOT_EQUAL" in report.headline()

    # The deploy role redeploys the same template and parameters, drift-aware: only drift differs.
    cloudformation = hello.session.client("cloudformation")
    template = cloudformation.get_template(StackName=hello.stack_name)["TemplateBody"]
    parameters = resolve_parameters(
        hello.session,
        [
            ("Greeting", "ssm", "/flightdeck/hello/greeting"),
            ("LogLevel", "literal", "DEBUG"),
            ("AppVersion", "release", "version"),
            ("EnvironmentName", "literal", "dev"),
        ],
        release={"version": "1.0.0", "run_id": "release-1"},
    )
    started = start_change_set(
        hello.session,
        stack_name=hello.stack_name,
        change_set_name="refresh-1",
        template_body=template if isinstance(template, str) else json.dumps(template),
        parameters=parameters,
        tags={"flightdeck:application": "hello", "flightdeck:version": "1.0.0"},
        capabilities=["CAPABILITY_IAM"],
        execution_role_arn=EXEC_ROLE,
        deployment_mode="REVERT_DRIFT",
    )
    ready = ChangeSetReadyTrigger(
        stack_name=hello.stack_name,
        change_set_id=started.id,
        role_arn=f"arn:aws:iam::{DEV}:role/flightdeck-deploy",
        region_name=hello.session.region,
        session_name="flightdeck-tests",
        aws_conn_id=None,
    ).poll(hello.session)
    assert ready is not None
    assert ready["outcome"] == "ready", ready
    change_set = read_change_set(
        hello.session, stack_name=hello.stack_name, change_set_id=started.id, change_set_type="UPDATE"
    )
    assert {(c.action, c.logical_id) for c in change_set.changes} == {
        ("Modify", "Function"),
        ("Modify", "DeployedVersionParameter"),
    }

    execute_change_set(hello.session, stack_name=hello.stack_name, change_set_id=started.id)

    assert owner.client("ssm").get_parameter(Name=MARKER)["Parameter"]["Value"] == "1.0.0"
    assert lambda_.get_function_configuration(FunctionName=function)["Environment"]["Variables"] == variables
    assert _detect(hello) == DriftReport(hello.stack_name, "IN_SYNC", "DETECTION_COMPLETE")


def test_a_stack_that_does_not_exist_is_named_in_the_error(hello: HelloTarget) -> None:
    with pytest.raises(
        DeploymentError,
        match=r"Cannot start drift detection \(account 111111111111, region eu-west-1, stack hello-dev\)",
    ):
        start_drift_detection(hello.session, "hello-dev")
