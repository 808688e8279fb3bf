"""The refresh DAG builder: one DAG per manifest with a refresh, its schedule, only the environments listed."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from airflow.serialization.serialized_objects import DagSerialization

from flightdeck.errors import PlanError
from flightdeck.manifest import load_manifest
from flightdeck.plan import Refresh, build_plan
from flightdeck.refresh_pipeline import build_refresh_dag

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "include" / "manifests" / "hello.yaml"
FULL = ROOT / "tests" / "unit" / "fixtures" / "manifests" / "full.yaml"
PER_TARGET = ("prepare.detect_drift", "prepare.create_change_set", "deploy.execute_change_set", "deploy.smoke_test")


def test_hello_refreshes_dev_and_staging_nightly_never_prod() -> None:
    plan = build_plan(load_manifest(HELLO))

    dag = build_refresh_dag(plan)

    assert dag.dag_id == "refresh__hello"
    assert dag.schedule == "0 3 * * *"
    assert (dag.catchup, dag.max_active_runs) == (False, 1)
    expected = {f"{env}.{task}" for env in ("dev", "staging") for task in (*PER_TARGET, "approve")}
    assert set(dag.task_dict) == expected
    assert not any(task.startswith("prod") for task in dag.task_dict)


def test_each_environment_is_detect_then_change_set_gate_execute_smoke() -> None:
    dag = build_refresh_dag(build_plan(load_manifest(HELLO)))
    tasks = dag.task_dict

    assert tasks["dev.prepare.detect_drift"].upstream_task_ids == set()  # environments are independent
    assert tasks["dev.prepare.create_change_set"].upstream_task_ids == {"dev.prepare.detect_drift"}
    assert tasks["dev.approve"].upstream_task_ids == {"dev.prepare.create_change_set"}
    assert tasks["dev.approve"].trigger_rule == "all_done"  # a failed target leaves the others to refresh
    assert tasks["dev.deploy.execute_change_set"].upstream_task_ids == {"dev.approve"}
    assert tasks["dev.deploy.smoke_test"].upstream_task_ids == {"dev.deploy.execute_change_set"}
    assert tasks["dev.deploy.smoke_test"].trigger_rule == "none_failed"  # also when nothing needed redeploying
    # Mapped over the environment's target labels, each instance named after its target.
    detect = tasks["dev.prepare.detect_drift"]
    assert detect.map_index_template == "{{ task.target_label }}"
    assert detect.detect_task_id == "dev.prepare.detect_drift"
    assert tasks["dev.deploy.smoke_test"].checks == build_plan(load_manifest(HELLO)).smoke_checks
    assert tasks["staging.approve"].approval.approvers == ("approver",)
    assert json.loads(json.dumps(DagSerialization.to_dict(dag)))  # serialises


def test_prod_is_refreshed_only_when_listed() -> None:
    plan = build_plan(load_manifest(HELLO))
    with_prod = dataclasses.replace(plan, refresh=Refresh("@daily", ("prod",)))

    dag = build_refresh_dag(with_prod)

    assert {task.split(".")[0] for task in dag.task_dict} == {"prod"}
    assert dag.task_dict["prod.approve"].approval.required is True
    assert dag.schedule == "@daily"


def test_an_environment_selecting_accounts_maps_over_its_selection() -> None:
    dag = build_refresh_dag(build_plan(load_manifest(FULL)))

    assert "prod.select_accounts" in dag.task_dict
    assert dag.task_dict["prod.prepare.detect_drift"].upstream_task_ids == {"prod.select_accounts"}
    assert "dev.select_accounts" not in dag.task_dict


def test_a_plan_without_refresh_has_no_refresh_dag() -> None:
    plan = dataclasses.replace(build_plan(load_manifest(HELLO)), refresh=None)

    with pytest.raises(PlanError, match="schedules no refresh"):
        build_refresh_dag(plan)


def test_same_plan_gives_the_same_serialised_dag() -> None:
    first = DagSerialization.to_dict(build_refresh_dag(build_plan(load_manifest(HELLO))))
    second = DagSerialization.to_dict(build_refresh_dag(build_plan(load_manifest(HELLO))))

    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
