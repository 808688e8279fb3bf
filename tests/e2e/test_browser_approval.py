"""End to end in a real browser: the prod canary gate is answered in the Airflow UI, in headless Chromium.

On the session's stack, after the other end-to-end modules (conftest.py runs this one last, as it releases hello
again): one release (7.0.0) triggered by the release manager through the REST API. It changes only code, so dev's
and staging's gates pass by themselves. When the first prod gate parks, the release manager tries to approve it in
the browser and the server refuses (separation of duties); then the approver finds it under Browse → Required
Actions, reads the change review and approves. The remaining gate is answered through the REST API and the run
must end successfully. The approval page's screenshot stays in the test artifacts directory
(``.flightdeck/test-artifacts/`` or ``$FLIGHTDECK_ARTIFACTS_DIR``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from browser import AirflowBrowser, GateAnswer

from flightdeck import naming
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, WavePlan, build_plan
from scripts.airflow_api import AirflowApi
from scripts.demo import (
    APPROVER,
    MANAGER,
    ReleaseOutcome,
    deployment_rows,
    follow_run,
    trigger_release,
    wait_for_settled_gate,
)
from scripts.devstack import ROOT, Stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

MANIFEST = ROOT / "include" / "manifests" / "hello.yaml"
VERSION = "7.0.0"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Every gate is answered only after it has awaited input this long. The race in docs/approvals.md lasts until the
# worker that parked the gate has exited and the scheduler has seen it; its supervisor can take up to Airflow's
# [workers] min_heartbeat_interval (5 s) to notice, more on a busy machine. 3 s was seen to fail here under load.
SETTLE_SECONDS = 10


@dataclass
class BrowserRelease:
    """What the browsers showed and what the API said, step by step."""

    run_id: str
    gate: dict[str, Any]
    refused: GateAnswer
    state_after_refusal: str
    details_after_refusal: dict[str, Any]
    listed: str
    body: str
    approved: GateAnswer
    details_after_approval: dict[str, Any]
    outcome: ReleaseOutcome
    rows: list[dict[str, str]]
    first_release: bool


@pytest.fixture(scope="module")
def plan() -> ReleasePlan:
    return build_plan(load_manifest(MANIFEST))


def _prod_waves(plan: ReleasePlan) -> tuple[WavePlan, ...]:
    return next(environment for environment in plan.environments if environment.name == "prod").waves


def _subject(plan: ReleasePlan) -> str:
    return f"Release {plan.application} to prod"


@pytest.fixture(scope="module")
def release(stack: Stack, plan: ReleasePlan) -> Iterator[BrowserRelease]:
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    with pytest.MonkeyPatch.context() as env:
        for key, value in stack.aws_env().items():
            env.setenv(key, value)
        first_release = all(row["status"] == "NOT DEPLOYED" for row in deployment_rows(plan))
        run_id = trigger_release(stack, plan, VERSION)
        # Should dev's or staging's gate wait for a person (hello was never deployed on this stack, when this
        # module runs alone), the approver answers through the REST API; then the first prod gate parks and has
        # settled (answering sooner can fail it).
        approver_api = AirflowApi(stack.api_url, APPROVER, stack.state.passwords[APPROVER])
        gate = wait_for_settled_gate(stack, plan.dag_id, run_id, settle_seconds=SETTLE_SECONDS)
        while not gate["task_id"].startswith("prod."):
            approver_api.answer_gate(plan.dag_id, run_id, gate["task_id"], "Approve", gate["map_index"])
            manager.wait_for_task_state(plan.dag_id, run_id, gate["task_id"], {"success", "failed"})
            gate = wait_for_settled_gate(stack, plan.dag_id, run_id, settle_seconds=SETTLE_SECONDS)
        task_id, map_index = gate["task_id"], gate["map_index"]

        # The release manager triggered the run: the UI offers the buttons, the server refuses the answer.
        with AirflowBrowser(stack.api_url, MANAGER, stack.state.passwords[MANAGER]) as browser:
            browser.open_gate(plan.dag_id, run_id, task_id, map_index)
            refused = browser.answer(task_id, "Approve", screenshot=f"browser-approval-{MANAGER}-refused")
        state_after_refusal = next(
            ti["state"]
            for ti in manager.task_instances(plan.dag_id, run_id)
            if (ti["task_id"], ti["map_index"]) == (task_id, map_index)
        )
        details_after_refusal = manager.gate(plan.dag_id, run_id, task_id, map_index)

        with AirflowBrowser(stack.api_url, APPROVER, stack.state.passwords[APPROVER]) as browser:
            listed = browser.open_required_actions(task_id)
            browser.open_gate(plan.dag_id, run_id, task_id, map_index)
            body = browser.gate_body(_subject(plan))
            approved = browser.answer(task_id, "Approve", screenshot=f"browser-approval-{APPROVER}")
        details_after_approval = manager.gate(plan.dag_id, run_id, task_id, map_index)

        # The remaining gate (the rest of prod) through the REST API, as the demo does.
        outcome = follow_run(stack, plan.dag_id, run_id, settle_seconds=SETTLE_SECONDS)
        yield BrowserRelease(
            run_id=run_id,
            gate=gate,
            refused=refused,
            state_after_refusal=state_after_refusal,
            details_after_refusal=details_after_refusal,
            listed=listed,
            body=body,
            approved=approved,
            details_after_approval=details_after_approval,
            outcome=outcome,
            rows=deployment_rows(plan),
            first_release=first_release,
        )


def test_first_prod_gate_is_the_canary_waves(release: BrowserRelease, plan: ReleasePlan) -> None:
    waves = _prod_waves(plan)
    assert len(waves) > 1
    first = naming.task_id(naming.wave_group("prod", waves[0].name, len(waves)), naming.APPROVE)
    assert (release.gate["task_id"], release.gate["map_index"]) == (first, -1)


def test_release_manager_is_refused_in_the_browser(release: BrowserRelease) -> None:
    refused = release.refused
    assert not refused.accepted
    assert "Access Denied" in refused.toast
    assert refused.response == ""
    # Nothing changed: the gate still waits for an approver.
    assert release.state_after_refusal == "awaiting_input"
    assert release.details_after_refusal["response_received"] is False
    assert release.details_after_refusal["chosen_options"] is None
    assert [user["name"] for user in release.details_after_refusal["assigned_users"]] == [APPROVER]


def test_approver_finds_the_gate_under_required_actions(release: BrowserRelease, plan: ReleasePlan) -> None:
    assert _subject(plan) in release.listed
    assert release.gate["task_id"] in release.listed
    assert plan.dag_id in release.listed
    assert "Approval Required" in release.listed


def test_approver_reads_the_change_review(release: BrowserRelease, plan: ReleasePlan) -> None:
    body = release.body
    assert body.startswith(_subject(plan))
    assert f"Version {VERSION}, triggered by {MANAGER}. May approve: {APPROVER}." in body
    # The warnings' place comes first; which warnings depends on what was deployed before this module ran.
    warnings = "Warnings" if release.first_release else "No warnings"
    assert body.index(warnings) < body.index("Targets")
    first, *later = _prod_waves(plan)
    for label in first.labels:
        assert label in body
        assert naming.change_set_name(release.run_id, label) in body
    if release.first_release:  # the new stack's IAM role widens IAM access
        assert "FunctionRole" in body[body.index("Warnings") : body.index("Targets")]
        assert "+6 ~0 -0" in body
        assert "IAM broadened" in body
    else:  # a new version: nothing is added or removed
        assert "+0 ~2 -0" in body  # the function and the SSM parameter holding the version
        assert "broadened" not in body
    # Only the wave behind this gate: the other prod targets come with the next gate.
    for wave in later:
        for label in wave.labels:
            assert label not in body
    assert "Open the run" in body


def test_approver_approves_in_the_browser(release: BrowserRelease) -> None:
    approved = release.approved
    task_id = release.gate["task_id"]
    assert approved.accepted, approved.toast
    assert approved.toast == f"{task_id} response successful"
    assert approved.response.startswith("Response received at ")
    assert approved.response.endswith(f"from {APPROVER}")
    details = release.details_after_approval
    assert details["response_received"] is True
    assert details["chosen_options"] == ["Approve"]
    assert details["responded_by_user"]["name"] == APPROVER
    # The approval page's screenshot is kept as a test artifact.
    screenshot = approved.screenshot
    assert screenshot.is_file()
    assert screenshot.stat().st_size > len(PNG_SIGNATURE)
    assert screenshot.read_bytes().startswith(PNG_SIGNATURE)


def test_release_succeeds_after_the_remaining_gate(release: BrowserRelease, plan: ReleasePlan) -> None:
    outcome = release.outcome
    assert outcome.state == "success", outcome.task_instances
    waves = _prod_waves(plan)
    gates = [naming.task_id(naming.wave_group("prod", wave.name, len(waves)), naming.APPROVE) for wave in waves]
    # The first gate was answered in the browser, the others through the REST API.
    assert outcome.gate_answers == dict.fromkeys(gates[1:], "Approve")
    states = {ti["task_id"]: ti["state"] for ti in outcome.task_instances if ti["task_id"] in gates}
    assert states == dict.fromkeys(gates, "success")
    assert [(row["environment"], row["version"]) for row in release.rows] == [
        (target.environment, VERSION) for target in plan.targets
    ]
    done = "CREATE_COMPLETE" if release.first_release else "UPDATE_COMPLETE"
    assert all(row["status"] == done for row in release.rows)
