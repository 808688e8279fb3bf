"""Tests of the plan's JSON document, the tasks per environment, and choosing one environment."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from flightdeck.errors import PlanError
from flightdeck.manifest import load_manifest
from flightdeck.plan import build_plan, environment_tasks, plan_document
from flightdeck.plan.document import only_environment

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def document() -> dict:
    return plan_document(build_plan(load_manifest(FIXTURES / "manifests" / "full.yaml")))


def test_document_shape(document: dict) -> None:
    assert list(document) == [
        "format",
        "application",
        "description",
        "dag_id",
        "manifest_path",
        "template_path",
        "aws_conn_id",
        "capabilities",
        "refresh",
        "organizations",
        "environments",
        "smoke_checks",
    ]
    assert document["organizations"] == {
        "management_account": "999999999999",
        "role_arn": "arn:aws:iam::999999999999:role/FlightdeckOrganizationsReader",
        "external_id": "shop-org",
        "session_duration_seconds": 3600,
    }
    assert (document["format"], document["application"], document["refresh"]) == (
        1,
        "shop",
        {"schedule": "0 3 * * *", "environments": ["dev", "prod"]},
    )
    prod = document["environments"][1]
    assert list(prod) == ["name", "approval", "execution", "rollback", "waves", "targets", "selectors", "tasks"]
    assert prod["rollback"] == {"on_smoke_failure": True, "delete_created_stacks": False}
    assert prod["waves"][1] == {
        "name": "rest",
        "labels": ["prod/333333333333/us-east-1", "prod/444444444444/eu-west-1"],
        "max_concurrent": 2,
        "failure_tolerance_count": None,
        "failure_tolerance_percent": 10,
        "bake_time_seconds": 0,
        "selected": True,
    }
    target = prod["targets"][0]
    assert (target["label"], target["stack_name"], target["termination_protection"]) == (
        "prod/333333333333/eu-west-1",
        "shop-prod",
        True,
    )
    selector = prod["selectors"][0]
    assert (selector["labels"], selector["ou_path"], selector["template"]["account_id"]) == (
        ["prod/{account_id}/eu-central-1"],
        "/Root/Workloads/Prod",
        "{account_id}",
    )


def test_document_is_json_and_deterministic(document: dict) -> None:
    again = plan_document(build_plan(load_manifest(FIXTURES / "manifests" / "full.yaml")))
    assert json.dumps(document) == json.dumps(again)
    assert json.loads(json.dumps(document)) == document


def test_document_holds_references_never_secret_values(document: dict) -> None:
    greeting = document["environments"][1]["targets"][0]["parameters"][1]
    assert greeting == {
        "name": "Greeting",
        "kind": "secretsmanager",
        "value": "shop/prod/greeting:text",
        "layer": "environment",
    }


def test_every_wave_has_a_gate_even_without_required_approval() -> None:
    dev = build_plan(load_manifest(FIXTURES / "manifests" / "hello.yaml")).environments[0]
    assert environment_tasks(dev) == (
        "dev.prepare.package[dev/111111111111/eu-west-1]",
        "dev.prepare.create_change_set[dev/111111111111/eu-west-1]",
        "dev.approve",
        "dev.deploy.execute_change_set[dev/111111111111/eu-west-1]",
        "dev.deploy.smoke_test[dev/111111111111/eu-west-1]",
        "dev.wave_check",
    )


def test_per_target_gates_sit_in_the_deploy_group() -> None:
    plan = build_plan(load_manifest(FIXTURES / "manifests" / "hello.yaml"))
    dev = plan.environments[0]
    per_target = replace(dev, approval=replace(dev.approval, per="target"))
    assert environment_tasks(per_target)[2:] == (
        "dev.deploy.approve[dev/111111111111/eu-west-1]",
        "dev.deploy.execute_change_set[dev/111111111111/eu-west-1]",
        "dev.deploy.smoke_test[dev/111111111111/eu-west-1]",
        "dev.wave_check",
    )


def test_only_environment() -> None:
    plan = build_plan(load_manifest(FIXTURES / "manifests" / "hello.yaml"))
    assert [env.name for env in only_environment(plan, "staging").environments] == ["staging"]
    assert [target.label for target in only_environment(plan, "staging").targets] == ["staging/222222222222/eu-west-1"]
    with pytest.raises(PlanError) as info:
        only_environment(plan, "prd")
    assert (
        str(info.value)
        == "no environment 'prd' in the manifest of hello; did you mean 'prod'? (its environments: dev, staging, prod)"
    )


def test_tasks_of_waves_live_in_a_group_per_wave() -> None:
    prod = build_plan(load_manifest(FIXTURES / "manifests" / "full.yaml")).environments[1]
    assert environment_tasks(prod)[:7] == (
        "select_accounts.prod",
        "prod.canary.prepare.package[prod/333333333333/eu-west-1]",
        "prod.canary.prepare.create_change_set[prod/333333333333/eu-west-1]",
        "prod.canary.approve",
        "prod.canary.deploy.execute_change_set[prod/333333333333/eu-west-1]",
        "prod.canary.deploy.smoke_test[prod/333333333333/eu-west-1]",
        "prod.canary.wave_check",
    )
    rest = environment_tasks(prod)[7:]
    assert rest[:3] == (
        "prod.rest.prepare.package[prod/333333333333/us-east-1]",
        "prod.rest.prepare.package[prod/444444444444/eu-west-1]",
        "prod.rest.prepare.package[prod/{account_id}/eu-central-1]",
    )
    assert rest[-1] == "prod.rest.wave_check"
    assert len(rest) == 3 * 4 + 2
