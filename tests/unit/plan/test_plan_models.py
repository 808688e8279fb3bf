"""Tests of the plan dataclasses: labels, dict round trips, immutability."""

from __future__ import annotations

import dataclasses
import json

import pytest

from flightdeck.plan import Approval, EnvironmentPlan, ParameterSource, ReleasePlan, SmokeCheck, Target


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


def test_smoke_check_round_trips() -> None:
    check = SmokeCheck(
        name="says-hello",
        kind="lambda",
        function_output="FunctionName",
        payload_json='{"a":1}',
        expect=(("count", 2), ("enabled", True), ("nothing", None), ("ratio", 0.5), ("status", "{region}")),
        outputs=("FunctionName",),
    )
    data = json.loads(json.dumps(check.to_dict()))
    assert data["expect"] == {
        "count": 2,
        "enabled": True,
        "nothing": None,
        "ratio": 0.5,
        "status": "{region}",
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
