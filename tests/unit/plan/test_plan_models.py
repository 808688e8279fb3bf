"""Tests of the plan dataclasses: labels, dict round trips, immutability."""

from __future__ import annotations

import dataclasses
import json

import pytest

from flightdeck.plan import (
    Approval,
    EnvironmentPlan,
    LambdaCheck,
    ParameterSource,
    ReleasePlan,
    SmokeCheck,
    Target,
    WavePlan,
)


def make_target(region: str = "eu-west-1") -> Target:
    return Target(
        environment="dev",
        account_id="012345678901",
        region=region,
        stack_name="hello-dev",
        deploy_role_arn="arn:aws:iam::012345678901:role/deploy",
        execution_role_arn="arn:aws:iam::012345678901:role/exec",
        external_id="ext",
        artifact_bucket=f"flightdeck-artifacts-012345678901-{region}",
        parameters=(
            ParameterSource("A", "literal", "1", "account"),
            ParameterSource("B", "ssm", "/x/y", "default"),
            ParameterSource("C", "release", "run_id", "environment"),
        ),
        tags=(("flightdeck:application", "hello"), ("flightdeck:environment", "dev")),
    )


def test_target_label() -> None:
    assert make_target().label == "dev/012345678901/eu-west-1"


def test_target_to_dict_is_json_safe_and_round_trips() -> None:
    target = make_target()
    data = target.to_dict()
    assert data["parameters"][0] == {"name": "A", "kind": "literal", "value": "1", "layer": "account"}
    assert data["tags"] == {"flightdeck:application": "hello", "flightdeck:environment": "dev"}
    assert json.loads(json.dumps(data)) == data
    assert Target.from_dict(data) == target
    assert Target.from_dict(json.loads(json.dumps(data))) == target


def test_target_with_stack_options_round_trips() -> None:
    target = dataclasses.replace(
        make_target(),
        parameters=(ParameterSource("D", "secretsmanager", "db:password", "region"),),
        session_duration_seconds=900,
        stack_tags=(("team", "web"),),
        termination_protection=True,
        stack_policy_json='{"Statement":[]}',
        notification_arns=("arn:aws:sns:eu-west-1:012345678901:t",),
        rollback_alarms=("arn:aws:cloudwatch:eu-west-1:012345678901:alarm:a",),
        rollback_monitoring_minutes=10,
    )
    data = json.loads(json.dumps(target.to_dict()))
    assert (data["stack_tags"], data["termination_protection"], data["rollback_monitoring_minutes"]) == (
        {"team": "web"},
        True,
        10,
    )
    assert Target.from_dict(data) == target


def test_target_dict_written_before_stack_options_still_reads() -> None:
    data = make_target().to_dict()
    for key in ("session_duration_seconds", "stack_tags", "termination_protection", "stack_policy_json"):
        del data[key]
    for key in ("notification_arns", "rollback_alarms", "rollback_monitoring_minutes"):
        del data[key]
    target = Target.from_dict(data)
    assert target == make_target()
    assert (target.session_duration_seconds, target.stack_policy_json, target.rollback_alarms) == (3600, "", ())


def test_wave_and_approval_defaults_and_dicts() -> None:
    wave = WavePlan("all", ("dev/012345678901/eu-west-1",))
    assert wave.to_dict() == {
        "name": "all",
        "labels": ["dev/012345678901/eu-west-1"],
        "max_concurrent": None,
        "failure_tolerance_count": 0,
        "failure_tolerance_percent": None,
        "bake_time_seconds": 0,
        "selected": False,
    }
    approval = Approval(required=True, approvers=("a",), timeout_seconds=60)
    assert approval.to_dict() == {
        "required": True,
        "approvers": ["a"],
        "timeout_seconds": 60,
        "on_timeout": "reject",
        "auto_approve": "empty",
        "per": "wave",
        "notify": [],
    }
    assert EnvironmentPlan("dev", approval, ()).waves == ()


def test_lambda_check_round_trips() -> None:
    check = LambdaCheck(
        name="says-hello",
        function_output="FunctionName",
        payload_json='{"a":1}',
        expect=(("count", 2), ("enabled", True), ("nothing", None), ("ratio", 0.5), ("status", "{region}")),
        outputs=("FunctionName",),
    )
    data = json.loads(json.dumps(check.to_dict()))
    assert data == {
        "name": "says-hello",
        "kind": "lambda",
        "function_output": "FunctionName",
        "payload_json": '{"a":1}',
        "expect": {"count": 2, "enabled": True, "nothing": None, "ratio": 0.5, "status": "{region}"},
        "outputs": ["FunctionName"],
    }
    assert SmokeCheck.from_dict(data) == check


def test_release_plan_targets_in_order() -> None:
    approval = Approval(required=False, approvers=(), timeout_seconds=None)
    plan = ReleasePlan(
        application="hello",
        description="",
        dag_id="release__hello",
        manifest_path="",
        template_path="t.yaml",
        aws_conn_id="aws_default",
        capabilities=(),
        environments=(
            EnvironmentPlan("dev", approval, (make_target("eu-west-1"), make_target("us-east-1"))),
            EnvironmentPlan("prod", approval, (make_target("ap-south-1"),)),
        ),
        smoke_checks=(),
    )
    assert [target.region for target in plan.targets] == ["eu-west-1", "us-east-1", "ap-south-1"]


def test_plan_objects_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        make_target().region = "us-east-1"  # type: ignore[misc]
