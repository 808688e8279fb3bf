"""End to end: a real Airflow scheduler releases the example app to three local AWS accounts.

One local stack, four runs in order: 1.0.0 approved; 2.0.0 rejected at the prod gate; 2.0.0 again, approved;
2.0.0 once more, which changes nothing anywhere.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from flightdeck import naming
from flightdeck.aws.session import AccountSession
from flightdeck.ledger import Ledger
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, Target, build_plan
from scripts.airflow_api import AirflowApi
from scripts.demo import (
    MANAGER,
    ReleaseOutcome,
    deploy_session,
    deployment_rows,
    follow_run,
    run_release,
    smoke_results,
)
from scripts.devstack import ROOT, Stack
from scripts.seed_demo import account_owner_session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

MANIFEST = ROOT / "include" / "manifests" / "hello.yaml"
GREETING = "/flightdeck/hello/greeting"


@dataclass
class Scenario:
    """The runs of the scenario, and the rows of the deployment table after each."""

    outcomes: dict[str, ReleaseOutcome] = field(default_factory=dict)
    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    refusals: list[int] = field(default_factory=list)


@pytest.fixture(scope="module")
def plan() -> ReleasePlan:
    return build_plan(load_manifest(MANIFEST))


@pytest.fixture(scope="module")
def scenario(stack: Stack, plan: ReleasePlan) -> Iterator[Scenario]:
    result = Scenario()
    with pytest.MonkeyPatch.context() as env:
        for key, value in stack.aws_env().items():
            env.setenv(key, value)

        def release_manager_tries_first(gate: dict[str, Any]) -> None:
            for user in (MANAGER, "admin"):
                api = AirflowApi(stack.api_url, user, stack.state.passwords[user])
                answer = api.answer_gate(plan.dag_id, gate["dag_run_id"], gate["task_id"], "Approve", gate["map_index"])
                result.refusals.append(answer.status_code)

        steps = [
            ("approved", "1.0.0", "Approve", release_manager_tries_first),
            ("rejected", "2.0.0", "Reject", None),
            ("approved again", "2.0.0", "Approve", None),
            ("unchanged", "2.0.0", "Approve", None),
        ]
        for name, version, answer, before_answer in steps:
            result.outcomes[name] = run_release(stack, plan, version, answer, before_answer=before_answer)
            result.rows[name] = deployment_rows(plan)
        yield result


def _states(outcome: ReleaseOutcome) -> dict[tuple[str, str | None], str]:
    return {(ti["task_id"], ti.get("rendered_map_index")): ti["state"] for ti in outcome.task_instances}


def _cloudformation(target: Target) -> Any:
    return deploy_session(target).client("cloudformation")


def test_approved_release_deploys_every_target(scenario: Scenario, plan: ReleasePlan, stack: Stack) -> None:
    outcome = scenario.outcomes["approved"]
    assert outcome.state == "success", outcome.task_instances
    # The first release creates an IAM role in every target: a flagged change, so even dev and staging waited for
    # an approver; prod always does.
    gates = ("dev.approve", "staging.approve", "prod.canary.approve", "prod.rest.approve")
    assert outcome.gate_answers == dict.fromkeys(gates, "Approve")
    # Separation of duties: the release manager (a prod approver) may not approve their own run, and an Airflow
    # admin who is no approver may not either.
    assert scenario.refusals == [403] * 8
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    record = manager.xcom(plan.dag_id, outcome.run_id, "prod.canary.approve")
    assert record["approved_by"] == "approver"
    [(label, bound)] = record["change_sets"].items()
    assert label == "prod/333333333333/eu-west-1"
    assert bound["id"].startswith("arn:aws:cloudformation:eu-west-1:333333333333:changeSet/")
    assert len(bound["fingerprint"]) == 64
    # The rest of prod started only after the canary's smoke test passed and it baked.
    by_id = {(ti["task_id"], ti.get("rendered_map_index")): ti for ti in outcome.task_instances}
    baked = by_id[("prod.canary.wave_check", None)]
    assert baked["state"] == "success"
    assert baked["end_date"] >= by_id[("prod.canary.deploy.smoke_test", "prod/333333333333/eu-west-1")]["end_date"]
    assert by_id[("prod.rest.prepare.package", "prod/333333333333/us-east-1")]["start_date"] >= baked["end_date"]

    rows = scenario.rows["approved"]
    assert [(r["environment"], r["account"], r["region"]) for r in rows] == [
        ("dev", "111111111111", "eu-west-1"),
        ("staging", "222222222222", "eu-west-1"),
        ("prod", "333333333333", "eu-west-1"),
        ("prod", "333333333333", "us-east-1"),
    ]
    for row in rows:
        assert row["status"] == "CREATE_COMPLETE"
        assert row["version"] == "1.0.0"
        assert row["key output"] == f"Hello from {row['environment']}"
    assert set(smoke_results(outcome).values()) == {"success"}
    assert len(smoke_results(outcome)) == len(plan.targets)


def test_parameters_resolve_in_each_target_account(scenario: Scenario, plan: ReleasePlan, stack: Stack) -> None:
    with pytest.MonkeyPatch.context() as env:
        for key, value in stack.aws_env().items():
            env.setenv(key, value)
        for target in plan.targets:
            described = _cloudformation(target).describe_stacks(StackName=target.stack_name)["Stacks"][0]
            parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}
            assert parameters["EnvironmentName"] == target.environment
            assert parameters["Greeting"] == "Hello"  # read from Parameter Store in the target account
            assert parameters["AppVersion"] == "2.0.0"
            tags = {t["Key"]: t["Value"] for t in described["Tags"]}
            assert tags[naming.APPLICATION_TAG] == "hello"
            assert tags[naming.ENVIRONMENT_TAG] == target.environment


def test_rejected_release_executes_nothing_in_prod(scenario: Scenario, plan: ReleasePlan, stack: Stack) -> None:
    outcome = scenario.outcomes["rejected"]
    assert outcome.state == "failed"
    # A code change is no flagged change: dev and staging passed by themselves; prod's canary gate was rejected.
    assert outcome.gate_answers == {"prod.canary.approve": "Reject"}
    states = _states(outcome)
    assert states[("dev.approve", None)] == states[("staging.approve", None)] == "success"
    assert states[("prod.canary.approve", None)] == "failed"
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    log = manager.task_log(plan.dag_id, outcome.run_id, "prod.canary.approve", -1, 1)
    assert "Release to prod was rejected by approver: its change sets were deleted and nothing was executed." in log
    assert states[("prod.canary.prepare.create_change_set", "prod/333333333333/eu-west-1")] == "success"
    after_gate = {
        s
        for (task, _), s in states.items()
        if task.startswith(("prod.canary.deploy.", "prod.rest.")) and not task.endswith(".wave_check")
    }
    assert after_gate == {"upstream_failed"}
    # Each prod wave's check runs whatever happened, and fails: its targets never started.
    assert states[("prod.canary.wave_check", None)] == states[("prod.rest.wave_check", None)] == "failed"
    # The summary, last, says which targets were deployed and which never started.
    assert states[("release_summary", None)] == "failed"
    summary = manager.task_log(plan.dag_id, outcome.run_id, "release_summary", -1, 1)
    assert "Release incomplete: 0 target(s) failed, 2 never started." in summary
    assert "Never started: prod/333333333333/eu-west-1, prod/333333333333/us-east-1." in summary
    versions = {(r["environment"], r["region"]): r["version"] for r in scenario.rows["rejected"]}
    assert versions == {
        ("dev", "eu-west-1"): "2.0.0",
        ("staging", "eu-west-1"): "2.0.0",
        ("prod", "eu-west-1"): "1.0.0",
        ("prod", "us-east-1"): "1.0.0",
    }
    with pytest.MonkeyPatch.context() as env:
        for key, value in stack.aws_env().items():
            env.setenv(key, value)
        for target in plan.targets:
            if target.environment != "prod":
                continue
            left = _cloudformation(target).list_change_sets(StackName=target.stack_name)["Summaries"]
            rejected = naming.change_set_name(outcome.run_id, target.label)
            assert [cs for cs in left if cs["ChangeSetName"] == rejected or cs["ExecutionStatus"] == "AVAILABLE"] == []


def test_rerelease_after_rejection_updates_only_what_changed(scenario: Scenario) -> None:
    outcome = scenario.outcomes["approved again"]
    assert outcome.state == "success"
    states = _states(outcome)
    # dev and staging run 2.0.0 already: empty change sets, nothing executed, smoke tests still run.
    for label in ("dev/111111111111/eu-west-1", "staging/222222222222/eu-west-1"):
        environment = label.split("/")[0]
        assert states[(f"{environment}.deploy.execute_change_set", label)] == "skipped"
        assert states[(f"{environment}.deploy.smoke_test", label)] == "success"
    assert outcome.gate_answers == {"prod.canary.approve": "Approve", "prod.rest.approve": "Approve"}
    assert {(r["environment"], r["status"], r["version"]) for r in scenario.rows["approved again"]} == {
        ("dev", "UPDATE_COMPLETE", "2.0.0"),
        ("staging", "UPDATE_COMPLETE", "2.0.0"),
        ("prod", "UPDATE_COMPLETE", "2.0.0"),
    }


def test_release_without_changes_needs_no_approval(scenario: Scenario) -> None:
    outcome = scenario.outcomes["unchanged"]
    assert outcome.state == "success"
    assert outcome.gate_answers == {}
    states = _states(outcome)
    assert {s for (task, _), s in states.items() if task.endswith(".approve")} == {"success"}
    executes = {s for (task, _), s in states.items() if task.endswith(".execute_change_set")}
    assert executes == {"skipped"}
    assert {s for (task, _), s in states.items() if task.endswith(".smoke_test")} == {"success"}


def test_the_ledger_records_every_attempt_and_agrees_with_the_stacks(
    scenario: Scenario, plan: ReleasePlan, stack: Stack
) -> None:
    with Ledger(f"sqlite:///{stack.airflow_home / 'flightdeck-ledger.db'}") as ledger:
        attempts = {
            (a.run_id, a.environment, a.region): a
            for a in ledger.history(plan.application, limit=100)
            if a.kind == "deploy"
        }
    approved, rejected = scenario.outcomes["approved"].run_id, scenario.outcomes["rejected"].run_id
    first = [a for (run_id, _, _), a in attempts.items() if run_id == approved]
    assert len(first) == len(plan.targets)
    for attempt in first:
        assert (attempt.version, attempt.outcome, attempt.triggered_by) == ("1.0.0", "succeeded", MANAGER)
        assert attempt.approved_by == "approver"  # the first release creates an IAM role: flagged everywhere
        assert attempt.change_set_id.startswith(f"arn:aws:cloudformation:{attempt.region}:{attempt.account_id}:")
        assert len(attempt.artifact_digest) == len(attempt.template_hash) == len(attempt.parameters_hash) == 64
        # Parameters as version markers only: the greeting's value ("Hello") is nowhere.
        assert attempt.parameter_versions["Greeting"].startswith(f"ssm:{GREETING}@")
        assert "Hello" not in repr(attempt.parameter_versions)
    # The rejected run: dev and staging deployed 2.0.0; prod's targets were prepared but never started.
    assert attempts[(rejected, "staging", "eu-west-1")].outcome == "succeeded"
    for region in ("eu-west-1", "us-east-1"):
        never = attempts[(rejected, "prod", region)]
        assert (never.outcome, never.approved_by) == ("never_started", None)
    # `flightdeck status` reads the same ledger and the live stacks' tags: every target runs what it says.
    status = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flightdeck"), "status", "--json", "-a", plan.application],
        env={**stack.airflow_env(), "FLIGHTDECK_MANIFESTS_DIR": str(stack.manifests_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert status.returncode == 0, status.stdout + status.stderr
    report = json.loads(status.stdout)
    assert {(r["environment"], r["region"], r["ledger_version"], r["stack_version"]) for r in report} == {
        ("dev", "eu-west-1", "2.0.0", "2.0.0"),
        ("staging", "eu-west-1", "2.0.0", "2.0.0"),
        ("prod", "eu-west-1", "2.0.0", "2.0.0"),
        ("prod", "us-east-1", "2.0.0", "2.0.0"),
    }
    # Airflow's own housekeeping deletes the runs' history; the ledger, in a database of its own, keeps every record.
    # (Airflow 3.3's `db clean` also visits the `deadline` table and fails on it with SQLite, so its exit status
    # says nothing: what matters is that the first run is gone from Airflow and still in the ledger.)
    cleaned = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "airflow"),
            "db",
            "clean",
            "--clean-before-timestamp",
            datetime.now(UTC).isoformat(),
            "--dag-ids",
            plan.dag_id,
            "--tables",
            "dag_run,task_instance,xcom,log",
            "--skip-archive",
            "--yes",
        ],
        env=stack.airflow_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    gone = manager.request("GET", f"/dags/{plan.dag_id}/dagRuns/{quote(approved, safe='')}")
    assert gone.status_code == 404, cleaned.stdout + cleaned.stderr
    with Ledger(f"sqlite:///{stack.airflow_home / 'flightdeck-ledger.db'}") as ledger:
        kept = ledger.history(plan.application, limit=100)
    assert {a.id for a in kept} >= {a.id for a in attempts.values()}


def test_missing_parameters_stop_the_release_before_any_change_set(
    scenario: Scenario, plan: ReleasePlan, stack: Stack
) -> None:
    """Preflight names every missing parameter in every target; nothing is deployed until it is fixed."""
    broken = [t for t in plan.targets if t.label in ("staging/222222222222/eu-west-1", "prod/333333333333/us-east-1")]
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    with pytest.MonkeyPatch.context() as env:
        for key, value in stack.aws_env().items():
            env.setenv(key, value)
        greeting = _account_admin(broken[0]).client("ssm").get_parameter(Name=GREETING)["Parameter"]["Value"]
        for target in broken:
            _account_admin(target).client("ssm").delete_parameter(Name=GREETING)

        failed = run_release(stack, plan, "3.0.0")
        states = _states(failed)
        assert failed.state == "failed"
        assert states[("preflight", None)] == "failed"
        others = {
            state
            for (task, _), state in states.items()
            if task not in ("preflight", "release_summary") and not task.endswith(".wave_check")
        }
        assert others == {"upstream_failed"}
        assert {state for (task, _), state in states.items() if task.endswith(".wave_check")} == {"failed"}
        assert states[("release_summary", None)] == "failed"  # it always runs: every target never started
        log = manager.task_log(plan.dag_id, failed.run_id, "preflight", -1, 1)
        for target in broken:
            where = f"account {target.account_id}, region {target.region}"
            assert f"{target.label}: Parameter Greeting (ssm:{GREETING})" in log
            assert where in log
        assert {r["version"] for r in deployment_rows(plan)} == {"2.0.0"}

        for target in broken:
            _account_admin(target).client("ssm").put_parameter(Name=GREETING, Value=greeting, Type="String")
        manager.clear(plan.dag_id, failed.run_id, "preflight", -1)
        fixed = follow_run(stack, plan.dag_id, failed.run_id)
        assert fixed.state == "success"
        assert {r["version"] for r in deployment_rows(plan)} == {"3.0.0"}


def test_clearing_a_failed_target_reruns_only_that_target(scenario: Scenario, plan: ReleasePlan, stack: Stack) -> None:
    """A function broken by hand in one prod region fails its smoke test; clearing it re-runs only that target."""
    broken = next(t for t in plan.targets if t.label == "prod/333333333333/us-east-1")
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    with pytest.MonkeyPatch.context() as env:
        for key, value in stack.aws_env().items():
            env.setenv(key, value)
        function = _cloudformation(broken).describe_stacks(StackName=broken.stack_name)["Stacks"][0]["Outputs"]
        name = next(o["OutputValue"] for o in function if o["OutputKey"] == "FunctionName")
        lambda_ = _account_admin(broken).client("lambda")
        variables = lambda_.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
        lambda_.update_function_configuration(
            FunctionName=name, Environment={"Variables": {**variables, "ENVIRONMENT_NAME": "tampered"}}
        )

        failed = run_release(stack, plan, "3.0.0")  # deployed already: only the smoke tests do anything
        states = _states(failed)
        assert failed.state == "failed"
        assert states[("prod.rest.deploy.smoke_test", broken.label)] == "failed"
        assert states[("prod.canary.deploy.smoke_test", "prod/333333333333/eu-west-1")] == "success"
        smoke = next(
            ti
            for ti in failed.task_instances
            if ti["task_id"] == "prod.rest.deploy.smoke_test" and ti["rendered_map_index"] == broken.label
        )
        log = manager.task_log(plan.dag_id, failed.run_id, smoke["task_id"], smoke["map_index"], 1)
        assert "field 'environment' is 'tampered', expected 'prod'" in log

        lambda_.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
        manager.clear(plan.dag_id, failed.run_id, smoke["task_id"], smoke["map_index"])
        rerun = follow_run(stack, plan.dag_id, failed.run_id)

    assert rerun.state == "success"
    before, after = _tries(failed), _tries(rerun)
    cleared = ("prod.rest.deploy.smoke_test", broken.label)
    assert after[cleared] == before[cleared] + 1
    # Nothing that had finished ran again: not the other prod region, not dev or staging. (A task may have been
    # retried within the first run, so compare with that run rather than expecting 1 everywhere.)
    finished = {key for key, state in _states(failed).items() if state in {"success", "skipped"}}
    assert finished, "the failed run finished nothing"
    assert {key: after[key] for key in finished} == {key: before[key] for key in finished}


def _tries(outcome: ReleaseOutcome) -> dict[tuple[str, str | None], int]:
    return {(ti["task_id"], ti.get("rendered_map_index")): ti["try_number"] for ti in outcome.task_instances}


def _account_admin(target: Target) -> AccountSession:
    return account_owner_session(target.account_id, target.region)


def test_dry_run_creates_reviews_and_deletes_every_change_set_and_deploys_nothing(
    scenario: Scenario, plan: ReleasePlan, stack: Stack
) -> None:
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    with pytest.MonkeyPatch.context() as env:
        for key, value in stack.aws_env().items():
            env.setenv(key, value)
        before = deployment_rows(plan)
        run_id = manager.trigger(plan.dag_id, {"version": "9.9.9", "dry_run": True})
        outcome = follow_run(stack, plan.dag_id, run_id)
        assert outcome.state == "success", outcome.task_instances
        assert outcome.gate_answers == {}  # nobody was asked
        states = _states(outcome)
        assert {s for (task, _), s in states.items() if task.endswith((".execute_change_set", ".smoke_test"))} == {
            "skipped"
        }
        report = manager.xcom(plan.dag_id, run_id, "dry_run_report")
        assert [row["label"] for row in report["matrix"]] == [target.label for target in plan.targets]
        for row in report["matrix"]:
            assert row["change_set_type"] == "UPDATE"
            parameters = {p["name"]: p["after"] for p in row["summary"]["parameters"]}
            assert parameters["AppVersion"] == "9.9.9"
        assert report["markdown"].startswith("# Dry run of version `9.9.9`")
        # Nothing deployed, and no change set of the dry run is left anywhere.
        assert deployment_rows(plan) == before
        for target in plan.targets:
            left = _cloudformation(target).list_change_sets(StackName=target.stack_name)["Summaries"]
            assert naming.change_set_name(run_id, target.label) not in [cs["ChangeSetName"] for cs in left]
