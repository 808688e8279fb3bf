"""Smoke checks and rollback rules in the plan: built from the manifest, rendered, and read back from JSON."""

from __future__ import annotations

import dataclasses
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from flightdeck.manifest import load_manifest
from flightdeck.plan import (
    EnvironmentPlan,
    ExpectationsCheck,
    HttpCheck,
    LambdaCheck,
    ReleasePlan,
    RollbackRules,
    SmokeCheck,
    build_plan,
    describe,
    plan_document,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HELLO_TEMPLATE = FIXTURES / "apps" / "hello" / "template.yaml"
ROOT = Path(__file__).resolve().parents[3]
SUITE = {
    "name": "greeting",
    "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "status", "value_set": ["ok"]}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
    ],
}
MANIFEST = """\
version: 1
application: hello
template: template.yaml
deploy_role: {name: deploy, execution_role: exec, external_id: ext}
parameters: {Greeting: hi, LogLevel: INFO, AppVersion: release:version}
rollback: {delete_created_stacks: true}
environments:
  - name: dev
    accounts: [{id: "111111111111", regions: [eu-west-1]}]
  - name: prod
    rollback: {on_smoke_failure: false}
    accounts: [{id: "333333333333", regions: [eu-west-1]}]
smoke_tests:
  - name: health
    type: http
    url_output: ApiUrl
    path: /items?limit=1
    method: POST
    body: {z: 1, a: [2]}
    expect_status: 201
    expect_json: {status: ok, "data.items[0].id": 7}
    max_latency: 1500ms
    timeout: 2s
  - name: greeting-data
    type: expectations
    suite: suites/greeting.json
    data: {from: lambda, function_output: FunctionName, payload: {name: x}, records: data.rows}
    outputs: [ApiMessage]
  - name: says-hello
    type: lambda
    function_output: FunctionName
"""


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> ReleasePlan:
    folder = tmp_path_factory.mktemp("smoke")
    template = HELLO_TEMPLATE.read_text(encoding="utf-8") + "  ApiUrl:\n    Value: https://example.com/\n"
    (folder / "template.yaml").write_text(template, encoding="utf-8")
    (folder / "suites").mkdir()
    (folder / "suites" / "greeting.json").write_text(json.dumps(SUITE), encoding="utf-8")
    (folder / "hello.yaml").write_text(MANIFEST, encoding="utf-8")
    return build_plan(load_manifest(folder / "hello.yaml"))


def test_one_plan_model_per_kind_in_manifest_order(plan: ReleasePlan) -> None:
    http, expectations, lambda_check = plan.smoke_checks
    assert http == HttpCheck(
        name="health",
        url_output="ApiUrl",
        path="/items?limit=1",
        method="POST",
        body_json='{"a":[2],"z":1}',
        expect_status=201,
        expect_json=(("data.items[0].id", 7), ("status", "ok")),
        max_latency_ms=1500,
        timeout_ms=2000,
    )
    assert expectations == ExpectationsCheck(
        name="greeting-data",
        suite="suites/greeting.json",
        suite_json=json.dumps(SUITE, sort_keys=True, separators=(",", ":")),
        function_output="FunctionName",
        payload_json='{"name":"x"}',
        records="data.rows",
        outputs=("ApiMessage",),
    )
    assert lambda_check == LambdaCheck(name="says-hello", function_output="FunctionName")
    assert [check.kind for check in plan.smoke_checks] == ["http", "expectations", "lambda"]


def test_required_outputs_put_the_check_own_first(plan: ReleasePlan) -> None:
    assert [check.required_outputs for check in plan.smoke_checks] == [
        ("ApiUrl",),
        ("FunctionName", "ApiMessage"),
        ("FunctionName",),
    ]


def test_rollback_rules_per_environment(plan: ReleasePlan) -> None:
    dev, prod = plan.environments
    assert dev.rollback == RollbackRules(on_smoke_failure=True, delete_created_stacks=True)
    assert prod.rollback == RollbackRules(on_smoke_failure=False, delete_created_stacks=True)


def test_environment_plan_built_by_hand_rolls_back_and_keeps_created_stacks() -> None:
    environment = EnvironmentPlan("dev", approval=None, targets=())  # type: ignore[arg-type]
    assert environment.rollback.to_dict() == {"on_smoke_failure": True, "delete_created_stacks": False}


@pytest.mark.parametrize("index", [0, 1, 2])
def test_every_kind_round_trips_through_json(plan: ReleasePlan, index: int) -> None:
    check = plan.smoke_checks[index]
    data = json.loads(json.dumps(check.to_dict()))
    assert list(data)[:2] == ["name", "kind"]
    assert list(data)[-1] == "outputs"
    assert SmokeCheck.from_dict(data) == check
    assert type(check).from_dict(data) == check


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown smoke check kind 'grpc'; known: expectations, http, lambda"):
        SmokeCheck.from_dict({"name": "x", "kind": "grpc", "outputs": []})


def test_checks_are_frozen_and_hashable(plan: ReleasePlan) -> None:
    assert len({*plan.smoke_checks}) == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.smoke_checks[0].name = "other"  # type: ignore[misc]


def test_document(plan: ReleasePlan) -> None:
    document = plan_document(plan)
    assert document["environments"][1]["rollback"] == {"on_smoke_failure": False, "delete_created_stacks": True}
    http, expectations, _ = document["smoke_checks"]
    assert http == {
        "name": "health",
        "kind": "http",
        "url_output": "ApiUrl",
        "path": "/items?limit=1",
        "method": "POST",
        "body_json": '{"a":[2],"z":1}',
        "expect_status": 201,
        "expect_json": {"data.items[0].id": 7, "status": "ok"},
        "max_latency_ms": 1500,
        "timeout_ms": 2000,
        "outputs": [],
    }
    assert list(expectations) == [
        "name",
        "kind",
        "suite",
        "suite_json",
        "function_output",
        "payload_json",
        "records",
        "outputs",
    ]


def test_render(plan: ReleasePlan) -> None:
    text = describe(plan)
    assert "  on a failed smoke test: roll the target back; a stack this release created is deleted\n" in text
    assert "  on a failed smoke test: the target is left as deployed (no rollback)\n" in text
    assert text.endswith(
        textwrap.dedent(
            """\
            Smoke tests after each target: 3
              health (http): POST output ApiUrl + /items?limit=1, timeout 2s
                body {"a":[2],"z":1}
                expect status 201
                expect data.items[0].id == 7
                expect status == "ok"
                expect an answer within 1500ms
              greeting-data (expectations): suite greeting (suites/greeting.json), 2 expectations
                invoke output FunctionName with {"name":"x"}; the rows are the list at data.rows
                expect_column_values_to_be_in_set (status)
                expect_table_row_count_to_be_between
                outputs must exist: ApiMessage
              says-hello (lambda): invoke output FunctionName with {}
            """
        )
    )


def test_the_example_manifest_validates_its_answer_with_a_suite(tmp_path: Path) -> None:
    plan = build_plan(load_manifest(ROOT / "include" / "manifests" / "hello.yaml"))
    says_hello, api, greeting = plan.smoke_checks
    assert isinstance(says_hello, LambdaCheck)
    assert isinstance(api, HttpCheck)
    assert (api.url_output, api.path, api.expect_status) == ("ApiUrl", "/?name=flightdeck", 200)
    assert isinstance(greeting, ExpectationsCheck)
    assert (greeting.suite, greeting.function_output, greeting.records) == (
        "../apps/hello/expectations/greeting.json",
        "FunctionName",
        "",
    )
    suite = json.loads(greeting.suite_json)
    assert suite["name"] == "greeting"
    assert "expect_column_values_to_match_regex" in {item["type"] for item in suite["expectations"]}
    # The plan is the same every time it is built, so the DAG is too.
    shutil.copytree(ROOT / "include", tmp_path / "include")
    again = build_plan(load_manifest(tmp_path / "include" / "manifests" / "hello.yaml"))
    assert again.smoke_checks == plan.smoke_checks
