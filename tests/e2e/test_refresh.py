"""The nightly refresh end to end: the real scheduler starts it by its schedule, after a resource was changed by hand.

The ``refreshed`` app (one target) is released, then its account owner changes two resources the stack owns (an SSM
parameter and the function's environment). Only then is ``refresh__refreshed`` (schedule: every minute) unpaused:
its scheduled run must report the drift (XCom and ledger, without values), put both back with a REVERT_DRIFT
change set, and pass the smoke test (which fails while the greeting is changed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_stacks import serve

from flightdeck.aws.session import AccountSession
from flightdeck.ledger import AttemptKind, DriftedResource, DriftStatus, Ledger, Outcome
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, Target, build_plan
from scripts.airflow_api import AirflowApi
from scripts.demo import MANAGER, follow_run, run_release
from scripts.devstack import Stack
from scripts.seed_demo import account_owner_session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

MANIFEST = Path(__file__).resolve().parent / "apps" / "refreshed.yaml"  # its own stack serves it
MARKER = "/flightdeck/fragile/dev/deployed-version"  # owned by the stack: its Value is the deployed version
REFRESH = "refresh__refreshed"
DETECT, CHANGE_SET, SMOKE = "dev.prepare.detect_drift", "dev.prepare.create_change_set", "dev.deploy.smoke_test"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from serve(tmp_path_factory, [MANIFEST])


def _owner(target: Target) -> AccountSession:
    return account_owner_session(target.account_id, target.region)


def _function(target: Target) -> str:
    resource = (
        _owner(target)
        .client("cloudformation")
        .describe_stack_resource(StackName=target.stack_name, LogicalResourceId="Function")
    )
    return str(resource["StackResourceDetail"]["PhysicalResourceId"])


def _variables(target: Target) -> dict[str, str]:
    configuration = _owner(target).client("lambda").get_function_configuration(FunctionName=_function(target))
    return dict(configuration["Environment"]["Variables"])


def _scheduled_run(api: AirflowApi, timeout: float) -> str:
    """The first run of the refresh DAG, which only the scheduler can have started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = api.call("GET", f"/dags/{REFRESH}/dagRuns")["dag_runs"]
        if runs:
            assert [run["run_type"] for run in runs] == ["scheduled"]
            return str(runs[0]["dag_run_id"])
        time.sleep(2)
    raise TimeoutError(f"the scheduler started no run of {REFRESH} within {timeout:.0f} s")


def test_a_scheduled_refresh_reports_and_repairs_drift(stack: Stack, aws_env: Stack) -> None:
    plan: ReleasePlan = build_plan(load_manifest(MANIFEST))
    [target] = plan.targets
    released = run_release(stack, plan, "1.0.0")
    assert released.state == "success"
    deployed = _variables(target)
    # The account owner changes two resources of the stack by hand.
    owner = _owner(target)
    owner.client("ssm").put_parameter(Name=MARKER, Value="9.9.9", Type="String", Overwrite=True)
    owner.client("lambda").update_function_configuration(
        FunctionName=_function(target), Environment={"Variables": {**deployed, "GREETING": "Howdy"}}
    )

    started = time.monotonic()
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    manager.wait_for_dag(REFRESH)
    assert manager.call("GET", f"/dags/{REFRESH}")["is_paused"] is True  # nothing ran before the hand change
    manager.unpause(REFRESH)
    run_id = _scheduled_run(manager, timeout=90)
    refreshed = follow_run(stack, REFRESH, run_id)
    print(f"refresh run {run_id}: {refreshed.state}, {time.monotonic() - started:.0f} s after unpausing")

    states = {ti["task_id"]: ti["state"] for ti in refreshed.task_instances}
    assert refreshed.state == "success", states
    assert states["dev.approve"] == "success"  # passed by itself: a refresh redeploys an approved version
    # Reported in the run: what drifted, where, how; never a value.
    detected = manager.xcom(REFRESH, run_id, DETECT, 0)
    drift = detected["drift"]
    assert (drift["status"], detected["version"]) == ("DRIFTED", "1.0.0")
    assert {r["logical_id"]: r["differences"] for r in drift["resources"]} == {
        "Function": [{"path": "/Environment/Variables/GREETING", "difference_type": "NOT_EQUAL"}],
        "DeployedVersionParameter": [{"path": "/Value", "difference_type": "NOT_EQUAL"}],
    }
    assert "9.9.9" not in json.dumps(detected)
    assert "Howdy" not in json.dumps(detected)
    change_set = manager.xcom(REFRESH, run_id, CHANGE_SET, 0)
    assert {(c["action"], c["logical_id"]) for c in change_set["changes"]} == {
        ("Modify", "Function"),
        ("Modify", "DeployedVersionParameter"),
    }
    # Repaired: the values are back, CloudFormation sees no drift, and the smoke test passed.
    assert owner.client("ssm").get_parameter(Name=MARKER)["Parameter"]["Value"] == "1.0.0"
    assert _variables(target) == deployed
    cloudformation = owner.client("cloudformation")
    detection = cloudformation.detect_stack_drift(StackName=target.stack_name)["StackDriftDetectionId"]
    status = cloudformation.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
    assert status["StackDriftStatus"] == "IN_SYNC"
    assert [result["passed"] for result in manager.xcom(REFRESH, run_id, SMOKE, 0)] == [True]
    # Recorded in the ledger as a refresh attempt, with the drift report; no evidence for promotions.
    with Ledger(f"sqlite:///{stack.airflow_home / 'flightdeck-ledger.db'}") as ledger:
        attempt: Any = next(a for a in ledger.history("refreshed") if a.run_id == run_id)
        assert (attempt.kind, attempt.outcome, attempt.version) == (AttemptKind.REFRESH, Outcome.SUCCEEDED, "1.0.0")
        assert attempt.drift_status is DriftStatus.DRIFTED
        assert set(attempt.drifted_resources or ()) == {
            DriftedResource(
                "Function", "AWS::Lambda::Function", "MODIFIED", (("/Environment/Variables/GREETING", "NOT_EQUAL"),)
            ),
            DriftedResource("DeployedVersionParameter", "AWS::SSM::Parameter", "MODIFIED", (("/Value", "NOT_EQUAL"),)),
        }
        assert "redeployed" in (attempt.message or "")
        assert all(release.dag_id != REFRESH for release in ledger.succeeded_versions("refreshed", "dev"))
