"""The DAG builder: shape, determinism, size independent of the number of targets, isolation of bad manifests."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from airflow.serialization.serialized_objects import DagSerialization

from benchmarks.parse import write_manifest
from flightdeck import naming
from flightdeck.manifest import load_manifest
from flightdeck.pipeline import build_release_dag, check_release_manifests, load_release_dags
from flightdeck.plan import build_plan
from flightdeck.plan.document import environment_tasks

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "include" / "manifests" / "hello.yaml"


def _serialised(dag) -> str:
    return json.dumps(DagSerialization.to_dict(dag), sort_keys=True)


def test_one_group_per_environment_in_manifest_order() -> None:
    dag = build_release_dag(build_plan(load_manifest(HELLO)))
    assert dag.dag_id == "release__hello"
    assert dag.schedule is None or str(dag.timetable.summary) == "None"
    environments = ("dev", "staging", "prod")
    expected = [f"{env}.prepare.{task}" for env in environments for task in ("package", "create_change_set")]
    deploy = ("execute_change_set", "smoke_test")
    expected += [f"{env}.deploy.{task}" for env in environments for task in deploy]
    expected = [task for task in expected if not task.startswith("prod.")]
    expected += ["dev.approve", "staging.approve", "dev.wave_check", "staging.wave_check"]
    prod = ["prepare.package", "prepare.create_change_set", "approve", *(f"deploy.{task}" for task in deploy)]
    expected += [f"prod.{wave}.{task}" for wave in ("canary", "rest") for task in (*prod, "wave_check")]
    assert sorted(dag.task_dict) == sorted([*expected, "preflight", "dry_run_report", "release_summary"])
    # Preflight first, then environments in order; every wave ends with its check.
    assert dag.task_dict["dev.prepare.package"].upstream_task_ids == {"preflight"}
    assert dag.task_dict["staging.prepare.package"].upstream_task_ids == {"dev.wave_check"}
    assert dag.task_dict["prod.canary.prepare.package"].upstream_task_ids == {"staging.wave_check"}
    # A failed smoke test rolls its target back (in the same task); the wave's check counts it as failed.
    assert dag.task_dict["dev.deploy.smoke_test"].rollback_rules.on_smoke_failure is True
    assert dag.task_dict["dev.wave_check"].upstream_task_ids == {"dev.deploy.smoke_test"}
    assert dag.task_dict["prod.canary.approve"].upstream_task_ids == {"prod.canary.prepare.create_change_set"}
    assert dag.task_dict["prod.canary.deploy.execute_change_set"].upstream_task_ids == {"prod.canary.approve"}
    # Every wave has its gate; dev's passes by itself unless a change is flagged.
    assert dag.task_dict["dev.deploy.execute_change_set"].upstream_task_ids == {"dev.approve"}
    assert dag.task_dict["dry_run_report"].upstream_task_ids == {"prod.rest.wave_check"}
    # Whatever happened, the summary runs last and says which targets succeeded, failed or never started.
    summary = dag.task_dict["release_summary"]
    assert summary.upstream_task_ids == {"prod.rest.wave_check"}
    assert summary.trigger_rule == "all_done"
    assert [(wave.environment, wave.wave) for wave in summary.waves] == [
        ("dev", "all"),
        ("staging", "all"),
        ("prod", "canary"),
        ("prod", "rest"),
    ]
    assert set(dag.params) == {"version", "dry_run", "promotion_override"}
    assert "version" in dag.params


def test_targets_are_mapped_and_labelled() -> None:
    dag = build_release_dag(build_plan(load_manifest(HELLO)))
    assert dag.task_group_dict["dev.prepare"]._expand_input.value == {"target_label": ["dev/111111111111/eu-west-1"]}
    for task in dag.tasks:
        if task.task_id.split(".")[-1] not in (
            "preflight",
            "approve",
            "wave_check",
            "dry_run_report",
            "release_summary",
        ):
            assert task.map_index_template == "{{ task.target_label }}"


def test_gate_assignment_comes_from_the_manifest() -> None:
    gate = build_release_dag(build_plan(load_manifest(HELLO))).task_dict["prod.rest.approve"]
    assert gate.assigned_users == [
        {"id": "approver", "name": "approver"},
        {"id": "release-manager", "name": "release-manager"},
    ]
    assert gate.response_timeout.total_seconds() == 24 * 3600
    assert gate.fail_on_reject is True


def test_same_plan_gives_the_same_serialised_dag() -> None:
    plan = build_plan(load_manifest(HELLO))
    assert _serialised(build_release_dag(plan)) == _serialised(build_release_dag(plan))


def test_dag_size_does_not_grow_with_targets(tmp_path: Path) -> None:
    small = build_release_dag(build_plan(load_manifest(write_manifest(tmp_path / "small", 4))))
    large = build_release_dag(build_plan(load_manifest(write_manifest(tmp_path / "large", 1000))))
    assert len(large.task_dict) == len(small.task_dict) == 21
    # Only the target labels are serialised per target (~110 bytes); naive per-target task groups cost ~3.3 KB.
    growth_per_target = (len(_serialised(large)) - len(_serialised(small))) / (1000 - 4)
    assert growth_per_target < 200


BROKEN = (
    HELLO.read_text()
    .replace("application: hello", "application: other")
    .replace('- id: "111111111111"', "- id: 111111111111")
)


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    """A folder with the valid hello manifest and other.yaml, whose account id is written as a number."""
    shutil.copytree(HELLO.parent.parent / "apps", tmp_path / "apps")
    folder = tmp_path / "manifests"
    folder.mkdir()
    shutil.copy(HELLO, folder / "hello.yaml")
    (folder / "other.yaml").write_text(BROKEN)
    return folder


def test_broken_manifest_does_not_stop_the_others(manifests: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        dags = load_release_dags(manifests)
    assert list(dags) == ["release__hello", "refresh__hello"]
    assert "other.yaml" in caplog.text
    assert "quote" in caplog.text.lower()


def test_a_task_process_builds_only_its_own_dag(
    manifests: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the task runner sets while it parses the DAG file of the task it is about to run.
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "release__hello")
    with caplog.at_level(logging.ERROR):
        assert list(load_release_dags(manifests)) == ["release__hello"]
    assert "other.yaml" not in caplog.text  # the other manifest was not even validated
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "refresh__hello")
    assert list(load_release_dags(manifests)) == ["refresh__hello"]
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "release__other")
    assert load_release_dags(manifests) == {}


def test_broken_manifest_is_an_import_error_and_the_others_still_load(
    manifests: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("FLIGHTDECK_MANIFESTS_DIR", str(manifests))

    bag = DagBag(dag_folder=str(ROOT / "dags"))

    assert sorted(bag.dags) == ["refresh__hello", "release__hello"]
    [(error_file, message)] = bag.import_errors.items()
    assert error_file.endswith("release_manifest_errors.py")
    line = BROKEN.splitlines().index("      - id: 111111111111") + 1
    assert f"{manifests / 'other.yaml'}:{line}:13: environments[0].accounts[0].id:" in message
    assert "quote it" in message


def test_waves_run_in_order_with_concurrency_tolerance_and_bake_time(tmp_path: Path) -> None:
    text = HELLO.read_text().replace(
        '{name: rest, targets: ["*"]}', '{name: rest, targets: ["*"], max_concurrent: 1, failure_tolerance: "50%"}'
    )
    shutil.copytree(HELLO.parent.parent / "apps", tmp_path / "apps")
    (tmp_path / "manifests").mkdir()
    manifest = tmp_path / "manifests" / "hello.yaml"
    manifest.write_text(text)
    dag = build_release_dag(build_plan(load_manifest(manifest)))

    prod = sorted(task_id for task_id in dag.task_dict if task_id.startswith("prod."))
    assert prod == [
        f"prod.{wave}.{task}"
        for wave, tasks in (
            (
                "canary",
                [
                    "approve",
                    "deploy.execute_change_set",
                    "deploy.smoke_test",
                    "prepare.create_change_set",
                    "prepare.package",
                    "wave_check",
                ],
            ),
            (
                "rest",
                [
                    "approve",
                    "deploy.execute_change_set",
                    "deploy.smoke_test",
                    "prepare.create_change_set",
                    "prepare.package",
                    "wave_check",
                ],
            ),
        )
        for task in tasks
    ]
    assert dag.task_group_dict["prod.canary.prepare"]._expand_input.value == {
        "target_label": ["prod/333333333333/eu-west-1"]
    }
    assert dag.task_group_dict["prod.rest.prepare"]._expand_input.value == {
        "target_label": ["prod/333333333333/us-east-1"]
    }
    # The rest starts only after the canary baked; one target at a time; half the wave may fail.
    assert dag.task_dict["prod.rest.prepare.package"].upstream_task_ids == {"prod.canary.wave_check"}
    assert dag.task_dict["prod.canary.wave_check"].bake_time_seconds == 5
    assert dag.task_dict["prod.rest.deploy.execute_change_set"].max_active_tis_per_dagrun == 1
    assert dag.task_dict["prod.rest.wave_check"].failure_tolerance_percent == 50
    assert dag.task_dict["prod.rest.wave_check"].trigger_rule == "all_done"


def test_flightdeck_plan_lists_exactly_the_dags_tasks() -> None:
    plan = build_plan(load_manifest(HELLO))
    dag = build_release_dag(plan)
    listed = {task.split("[")[0] for environment in plan.environments for task in environment_tasks(environment)}
    assert {*listed, naming.PREFLIGHT, naming.DRY_RUN_REPORT, naming.RELEASE_SUMMARY} == set(dag.task_dict)


def test_selected_accounts_join_the_last_wave_through_their_select_task() -> None:
    full = ROOT / "tests" / "unit" / "fixtures" / "manifests" / "full.yaml"  # prod selects accounts by OU and tag
    plan = build_plan(load_manifest(full))
    dag = build_release_dag(plan)
    select = dag.task_dict["select_accounts.prod"]
    assert select.upstream_task_ids == set()
    assert dag.task_dict["preflight"].upstream_task_ids == {"select_accounts.prod"}
    assert select.organizations == plan.organizations
    assert select.wave_labels == ["prod/333333333333/us-east-1", "prod/444444444444/eu-west-1"]
    # The last wave expands over what the select task returns; the canary wave over its listed target.
    rest = dag.task_group_dict["prod.rest.prepare"]._expand_input.value["target_label"]
    assert (rest.operator.task_id, rest.key) == ("select_accounts.prod", "return_value")
    assert dag.task_group_dict["prod.canary.prepare"]._expand_input.value == {
        "target_label": ["prod/333333333333/eu-west-1"]
    }
    check = dag.task_dict["prod.rest.wave_check"]
    assert check.labels.operator.task_id == "select_accounts.prod"
    assert "select_accounts.prod" in check.upstream_task_ids
    # Operators find a selected account's target by its label.
    package = dag.task_dict["prod.rest.prepare.package"]
    package.target_label = "prod/555555555555/eu-central-1"
    assert package.target.deploy_role_arn == "arn:aws:iam::555555555555:role/flightdeck-deploy"
    listed = {task.split("[")[0] for environment in plan.environments for task in environment_tasks(environment)}
    assert {*listed, naming.PREFLIGHT, naming.DRY_RUN_REPORT, naming.RELEASE_SUMMARY} == set(dag.task_dict)
    assert json.loads(_serialised(dag))  # serialises


def test_every_fixture_manifest_gets_its_dag() -> None:
    fixtures = ROOT / "tests" / "unit" / "fixtures" / "manifests"  # hello.yaml, and full.yaml with an OU selector
    assert sorted(load_release_dags(fixtures)) == ["refresh__shop", "release__hello", "release__shop"]
    check_release_manifests(fixtures)  # raises on any invalid manifest


def test_per_target_gates_are_mapped_in_the_deploy_group(tmp_path: Path) -> None:
    text = HELLO.read_text().replace("      timeout: 24h\n", "      timeout: 24h\n      per: target\n")
    manifest = tmp_path / "manifests" / "hello.yaml"  # its template is ../apps/hello/template.yaml
    manifest.parent.mkdir()
    manifest.write_text(text)
    shutil.copytree(HELLO.parent.parent / "apps", tmp_path / "apps")
    dag = build_release_dag(build_plan(load_manifest(manifest)))
    gate = dag.task_dict["prod.rest.deploy.approve"]
    assert "prod.rest.approve" not in dag.task_dict
    assert gate.upstream_task_ids == {"prod.rest.prepare.create_change_set"}
    assert dag.task_dict["prod.rest.deploy.execute_change_set"].upstream_task_ids == {"prod.rest.deploy.approve"}
    assert gate.map_index_template == "{{ task.target_label }}"
    execute = dag.task_dict["prod.rest.deploy.execute_change_set"]
    assert (execute.approval_task_id, execute.approval_per_target) == ("prod.rest.deploy.approve", True)
    # dev keeps its one gate per wave
    assert dag.task_dict["dev.deploy.execute_change_set"].approval_task_id == "dev.approve"
