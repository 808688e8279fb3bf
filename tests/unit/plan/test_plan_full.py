"""Tests of the plan of a manifest using every field: waves, selectors, stack options, layers, refresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flightdeck.errors import PlanError
from flightdeck.manifest import load_manifest
from flightdeck.plan import AccountSelector, Approval, ParameterSource, Refresh, ReleasePlan, WavePlan, build_plan

FULL_MANIFEST = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "full.yaml"
POLICY_FILE = FULL_MANIFEST.parent / "policies" / "prod.json"


@pytest.fixture(scope="module")
def plan() -> ReleasePlan:
    return build_plan(load_manifest(FULL_MANIFEST))


def test_waves(plan: ReleasePlan) -> None:
    dev, prod = plan.environments
    assert dev.waves == (WavePlan("all", ("dev/111111111111/eu-west-1",)),)
    assert prod.waves == (
        WavePlan("canary", ("prod/333333333333/eu-west-1",), bake_time_seconds=1800),
        WavePlan(
            "rest",
            ("prod/333333333333/us-east-1", "prod/444444444444/eu-west-1"),
            max_concurrent=2,
            failure_tolerance_count=None,
            failure_tolerance_percent=10,
            selected=True,
        ),
    )
    assert [target.label for target in prod.targets] == [
        "prod/333333333333/eu-west-1",
        "prod/333333333333/us-east-1",
        "prod/444444444444/eu-west-1",
    ]


def test_parameters_by_layer_with_placeholders_filled(plan: ReleasePlan) -> None:
    dev = plan.environments[0].targets[0]
    assert dev.parameters == (
        ParameterSource("AppVersion", "release", "version", "default"),
        ParameterSource("Greeting", "ssm", "/shop/dev/greeting", "default"),
        ParameterSource("LogLevel", "literal", "DEBUG", "environment"),
    )
    first, second, legacy = plan.environments[1].targets
    assert first.parameters[1] == ParameterSource(
        "Greeting", "secretsmanager", "shop/prod/greeting:text", "environment"
    )
    assert first.parameters[2] == ParameterSource("LogLevel", "literal", "INFO", "default")
    assert second.parameters[2] == ParameterSource("LogLevel", "literal", "WARNING", "region")
    assert legacy.parameters[3] == ParameterSource("Suffix", "literal", "legacy", "account")


def test_deploy_roles_and_sessions(plan: ReleasePlan) -> None:
    dev = plan.environments[0].targets[0]
    assert (dev.deploy_role_arn, dev.external_id, dev.session_duration_seconds) == (
        "arn:aws:iam::111111111111:role/flightdeck-deploy",
        "shop-ext",
        7200,
    )
    prod, _, legacy = plan.environments[1].targets
    assert (prod.external_id, prod.session_duration_seconds) == ("shop-prod", 3600)
    assert (legacy.deploy_role_arn, legacy.execution_role_arn, legacy.external_id, legacy.session_duration_seconds) == (
        "arn:aws:iam::444444444444:role/legacy/deploy",
        "arn:aws:iam::444444444444:role/legacy-exec",
        "legacy",
        1800,
    )


def test_stack_options_per_target(plan: ReleasePlan) -> None:
    dev = plan.environments[0].targets[0]
    assert dev.stack_tags == (("cost-center", "4711"), ("team", "web"))
    assert dev.tags == (
        ("cost-center", "4711"),
        ("flightdeck:application", "shop"),
        ("flightdeck:environment", "dev"),
        ("team", "web"),
    )
    assert (dev.termination_protection, dev.stack_policy_json, dev.rollback_alarms) == (False, "", ())
    assert dev.notification_arns == ("arn:aws:sns:eu-west-1:111111111111:stack-events",)
    prod = plan.environments[1].targets[1]
    assert prod.stack_tags == (("cost-center", "4711"), ("team", "web"), ("tier", "critical"))
    assert prod.termination_protection is True
    assert prod.stack_policy_json == json.dumps(
        json.loads(POLICY_FILE.read_text()), sort_keys=True, separators=(",", ":")
    )
    assert prod.notification_arns == ("arn:aws:sns:us-east-1:333333333333:stack-events",)
    assert prod.rollback_alarms == ("arn:aws:cloudwatch:us-east-1:333333333333:alarm:shop-5xx",)
    assert prod.rollback_monitoring_minutes == 30


def test_selector_is_resolved_at_run_time(plan: ReleasePlan) -> None:
    [selector] = plan.environments[1].selectors
    assert (selector.ou_path, selector.tags, selector.exclude, selector.regions) == (
        "/Root/Workloads/Prod",
        (("shop", "yes"),),
        ("999999999999",),
        ("eu-central-1",),
    )
    assert selector.deploy_role_arn == "arn:aws:iam::{account_id}:role/flightdeck-deploy"
    assert selector.parameters[1] == ParameterSource(
        "Greeting", "secretsmanager", "shop/prod/greeting:text", "environment"
    )
    assert selector.labels == ("prod/{account_id}/eu-central-1",)
    target = selector.target("555555555555", "eu-central-1")
    assert (target.label, target.stack_name, target.deploy_role_arn, target.artifact_bucket) == (
        "prod/555555555555/eu-central-1",
        "shop-prod",
        "arn:aws:iam::555555555555:role/flightdeck-deploy",
        "flightdeck-artifacts-555555555555-eu-central-1",
    )
    assert target.notification_arns == ("arn:aws:sns:eu-central-1:555555555555:stack-events",)
    assert target.rollback_alarms == ("arn:aws:cloudwatch:eu-central-1:555555555555:alarm:shop-5xx",)
    assert target.termination_protection is True


@pytest.mark.parametrize(("account", "region"), [("999999999999", "eu-central-1"), ("555555555555", "eu-west-1")])
def test_selector_refuses_targets_it_does_not_select(plan: ReleasePlan, account: str, region: str) -> None:
    with pytest.raises(PlanError, match="is not a target of this selector"):
        plan.environments[1].selectors[0].target(account, region)


def test_catalog_finds_listed_and_selected_targets_by_label(plan: ReleasePlan) -> None:
    prod = plan.environments[1]
    catalog = prod.catalog
    assert catalog["prod/444444444444/eu-west-1"] is prod.targets[2]
    selected = catalog["prod/555555555555/eu-central-1"]
    assert selected == prod.selectors[0].target("555555555555", "eu-central-1")
    assert "prod/555555555555/eu-central-1" in catalog
    # not a region any entry selects; an excluded account; another environment's label
    for label in ("prod/555555555555/eu-west-2", "prod/999999999999/eu-central-1", "dev/555555555555/eu-central-1"):
        assert label not in catalog
    with pytest.raises(KeyError):
        catalog["dev/555555555555/eu-central-1"]


def test_selector_round_trips_through_json(plan: ReleasePlan) -> None:
    selector = plan.environments[1].selectors[0]
    assert AccountSelector.from_dict(json.loads(json.dumps(selector.to_dict()))) == selector


def test_approval_rules_and_refresh(plan: ReleasePlan) -> None:
    assert plan.environments[1].approval == Approval(
        required=True,
        approvers=("approver", "release-manager"),
        timeout_seconds=86400,
        on_timeout="reject",
        auto_approve="never",
    )
    assert plan.environments[0].approval.auto_approve == "empty"
    assert plan.refresh == Refresh(schedule="0 3 * * *", environments=("dev", "prod"))
