"""Tests of build_plan: merging layers, naming, ordering, determinism."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from flightdeck.errors import PlanError
from flightdeck.manifest import Manifest, load_manifest
from flightdeck.plan import Approval, LambdaCheck, ParameterSource, Target, build_plan, describe

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HELLO_MANIFEST = FIXTURES / "manifests" / "hello.yaml"
HELLO_TEMPLATE = FIXTURES / "apps" / "hello" / "template.yaml"

LAYERED = """\
version: 1
application: shop
template: template.yaml
stack_name: "{application}-{environment}-{region}"
capabilities: [CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND]
deploy_role:
  name: arn:aws:iam::{account_id}:role/team/deploy
  execution_role: cfn-exec
  external_id: shop-ext
parameters:
  Greeting: hello
  LogLevel: INFO
  AppVersion: release:version
environments:
  - name: qa
    parameters: {LogLevel: DEBUG, Greeting: ssm:/shop/greeting}
    deploy_role: {name: qa-deploy, execution_role: qa-exec, external_id: qa-ext}
    accounts:
      - id: "444444444444"
        regions: [us-west-2, eu-central-1]
        parameters: {Greeting: 42, AppVersion: release:run_id}
      - id: "555555555555"
        regions: [eu-central-1]
"""


@pytest.fixture
def layered(tmp_path: Path) -> Manifest:
    shutil.copy(HELLO_TEMPLATE, tmp_path / "template.yaml")
    path = tmp_path / "shop.yaml"
    path.write_text(textwrap.dedent(LAYERED))
    return load_manifest(path)


def test_plan_of_the_example() -> None:
    plan = build_plan(load_manifest(HELLO_MANIFEST))
    assert (plan.application, plan.dag_id, plan.aws_conn_id) == ("hello", "release__hello", "aws_default")
    assert plan.description == "Example greeting service."
    assert plan.manifest_path == str(HELLO_MANIFEST.resolve())
    assert plan.template_path == str(HELLO_TEMPLATE.resolve())
    assert plan.capabilities == ("CAPABILITY_IAM",)
    assert [env.name for env in plan.environments] == ["dev", "staging", "prod"]
    assert [target.label for target in plan.targets] == [
        "dev/111111111111/eu-west-1",
        "staging/222222222222/eu-west-1",
        "prod/333333333333/eu-west-1",
        "prod/333333333333/us-east-1",
    ]


def test_target_of_the_example() -> None:
    plan = build_plan(load_manifest(HELLO_MANIFEST))
    assert plan.targets[0] == Target(
        environment="dev",
        account_id="111111111111",
        region="eu-west-1",
        stack_name="hello-dev",
        deploy_role_arn="arn:aws:iam::111111111111:role/flightdeck-deploy",
        execution_role_arn="arn:aws:iam::111111111111:role/flightdeck-cfn-exec",
        external_id="flightdeck-demo",
        artifact_bucket="flightdeck-artifacts-111111111111-eu-west-1",
        parameters=(
            ParameterSource("AppVersion", "release", "version", "default"),
            ParameterSource("Greeting", "ssm", "/flightdeck/hello/greeting", "default"),
            ParameterSource("LogLevel", "literal", "DEBUG", "environment"),
        ),
        tags=(("flightdeck:application", "hello"), ("flightdeck:environment", "dev")),
    )


def test_approvals_of_the_example() -> None:
    plan = build_plan(load_manifest(HELLO_MANIFEST))
    assert [env.approval for env in plan.environments] == [
        Approval(required=False, approvers=(), timeout_seconds=None),
        Approval(required=False, approvers=(), timeout_seconds=None),
        Approval(required=True, approvers=("approver",), timeout_seconds=86400),
    ]


def test_smoke_checks_of_the_example() -> None:
    plan = build_plan(load_manifest(HELLO_MANIFEST))
    assert plan.smoke_checks == (
        LambdaCheck(
            name="says-hello",
            function_output="FunctionName",
            payload_json='{"name":"flightdeck"}',
            expect=(("status", "ok"), ("version", "{version}")),
            outputs=("FunctionName", "ApiMessage"),
        ),
    )


def test_layers_merge_default_then_environment_then_account(layered: Manifest) -> None:
    first, _, other_account = build_plan(layered).targets
    assert first.parameters == (
        ParameterSource("AppVersion", "release", "run_id", "account"),
        ParameterSource("Greeting", "literal", "42", "account"),
        ParameterSource("LogLevel", "literal", "DEBUG", "environment"),
    )
    assert other_account.parameters == (
        ParameterSource("AppVersion", "release", "version", "default"),
        ParameterSource("Greeting", "ssm", "/shop/greeting", "environment"),
        ParameterSource("LogLevel", "literal", "DEBUG", "environment"),
    )


def test_reference_placeholders_are_filled_per_target(tmp_path: Path) -> None:
    shutil.copy(HELLO_TEMPLATE, tmp_path / "template.yaml")
    reference = 'Greeting: "ssm:/{application}/{environment}/{account_id}/{region}"'
    (tmp_path / "shop.yaml").write_text(LAYERED.replace("Greeting: ssm:/shop/greeting", reference))
    target = build_plan(load_manifest(tmp_path / "shop.yaml")).targets[2]
    assert target.parameters[1] == ParameterSource(
        "Greeting", "ssm", "/shop/qa/555555555555/eu-central-1", "environment"
    )


def test_boolean_literals_are_written_as_cloudformation_does(tmp_path: Path) -> None:
    shutil.copy(HELLO_TEMPLATE, tmp_path / "template.yaml")
    (tmp_path / "shop.yaml").write_text(
        LAYERED.replace("LogLevel: INFO", "LogLevel: true").replace("LogLevel: DEBUG", "LogLevel: false")
    )
    targets = build_plan(load_manifest(tmp_path / "shop.yaml")).targets
    assert targets[0].parameters[2] == ParameterSource("LogLevel", "literal", "false", "environment")


def test_targets_follow_accounts_then_regions(layered: Manifest) -> None:
    assert [(t.account_id, t.region, t.stack_name) for t in build_plan(layered).targets] == [
        ("444444444444", "us-west-2", "shop-qa-us-west-2"),
        ("444444444444", "eu-central-1", "shop-qa-eu-central-1"),
        ("555555555555", "eu-central-1", "shop-qa-eu-central-1"),
    ]


def test_environment_deploy_role_overrides_the_default(layered: Manifest) -> None:
    target = build_plan(layered).targets[2]
    assert target.deploy_role_arn == "arn:aws:iam::555555555555:role/qa-deploy"
    assert target.execution_role_arn == "arn:aws:iam::555555555555:role/qa-exec"
    assert target.external_id == "qa-ext"


def test_role_arn_template_and_sorted_capabilities(tmp_path: Path) -> None:
    shutil.copy(HELLO_TEMPLATE, tmp_path / "template.yaml")
    text = LAYERED.replace("    deploy_role: {name: qa-deploy, execution_role: qa-exec, external_id: qa-ext}\n", "")
    (tmp_path / "shop.yaml").write_text(text)
    plan = build_plan(load_manifest(tmp_path / "shop.yaml"))
    assert plan.targets[0].deploy_role_arn == "arn:aws:iam::444444444444:role/team/deploy"
    assert plan.targets[0].execution_role_arn == "arn:aws:iam::444444444444:role/cfn-exec"
    assert plan.capabilities == ("CAPABILITY_AUTO_EXPAND", "CAPABILITY_NAMED_IAM")


def test_plan_is_deterministic() -> None:
    first = build_plan(load_manifest(HELLO_MANIFEST))
    second = build_plan(load_manifest(HELLO_MANIFEST))
    assert first == second
    assert describe(first) == describe(second)
    assert json.dumps([t.to_dict() for t in first.targets]) == json.dumps([t.to_dict() for t in second.targets])


def test_targets_survive_a_json_round_trip() -> None:
    plan = build_plan(load_manifest(HELLO_MANIFEST))
    for target in plan.targets:
        assert Target.from_dict(json.loads(json.dumps(target.to_dict()))) == target


def _data(text: str) -> dict:
    return yaml.safe_load(textwrap.dedent(text))


def test_plan_error_without_any_deploy_role() -> None:
    text = LAYERED.replace("    deploy_role: {name: qa-deploy, execution_role: qa-exec, external_id: qa-ext}\n", "")
    data = _data(text)
    del data["deploy_role"]
    with pytest.raises(PlanError, match="environment qa has no deploy_role"):
        build_plan(Manifest.from_data(data))


def test_plan_error_on_waves_load_manifest_would_refuse() -> None:
    data = _data(LAYERED)
    data["environments"][0]["waves"] = [{"name": "a", "targets": ["444444444444"]}]
    with pytest.raises(PlanError, match="environment qa: target 555555555555/eu-central-1 is in no wave"):
        build_plan(Manifest.from_data(data))


def test_plan_error_on_a_shared_stack() -> None:
    data = _data(LAYERED)
    data["environments"][0]["accounts"].append({"id": "444444444444", "regions": ["us-west-2"]})
    with pytest.raises(PlanError, match="would deploy the same stack shop-qa-us-west-2"):
        build_plan(Manifest.from_data(data))


def test_plan_of_a_manifest_not_read_from_a_file() -> None:
    plan = build_plan(Manifest.from_data(_data(LAYERED)))
    assert (plan.manifest_path, plan.template_path) == ("", "template.yaml")
