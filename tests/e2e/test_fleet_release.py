"""End to end: accounts selected from AWS Organizations when a release starts, whose owners execute the change sets.

The example ``fleet`` manifest deploys to every account under /Root/Workloads tagged flightdeck-fleet=yes, with
``execution: account-owner``: after approval each account's owner runs ``flightdeck execute`` with their own
credentials, and the release waits for them (deferred) before its smoke tests.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from flightdeck import cli, naming
from flightdeck.aws.organizations import ORGANIZATIONS_REGION
from flightdeck.aws.stacks import describe_stack
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, build_plan
from scripts.airflow_api import AirflowApi
from scripts.demo import (
    APPROVER,
    GATE_SETTLE_SECONDS,
    MANAGER,
    deploy_session,
    follow_run,
    smoke_results,
    trigger_release,
)
from scripts.demo_organization import MemberAccount, ensure_organization, member_accounts
from scripts.devstack import ORCHESTRATOR_ACCOUNT, ROOT, Stack
from scripts.seed_demo import account_owner_session, seed

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

FLEET = ROOT / "include" / "manifests" / "fleet.yaml"
LATE_JOINER = MemberAccount("fleet-late-joiner", "/Root/Workloads/Late", (("flightdeck-fleet", "yes"),))
EXECUTE = "workloads.deploy.execute_change_set"
GATE = "workloads.approve"


@pytest.fixture(scope="module")
def plan() -> ReleasePlan:
    return build_plan(load_manifest(FLEET))


def _label(account_id: str) -> str:
    return naming.target_label("workloads", account_id, "eu-west-1")


def _version_in(plan: ReleasePlan, account_id: str) -> str | None:
    target = plan.environments[0].catalog[_label(account_id)]
    stack = describe_stack(deploy_session(target), target.stack_name)
    return stack.tags.get(naming.VERSION_TAG) if stack is not None else None


def _instances(api: AirflowApi, plan: ReleasePlan, run_id: str, task_id: str) -> list[dict[str, Any]]:
    return [ti for ti in api.task_instances(plan.dag_id, run_id) if ti["task_id"] == task_id]


def _wait(condition: Any, what: str, timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(2)
    raise TimeoutError(what)


def _owners_execute(stack: Stack, plan: ReleasePlan, run_id: str, accounts: list[str]) -> list[int]:
    """Approve the gate if it waits; execute as its owner each change set whose execute task waits for one.

    The wave deploys 2 targets at a time, and a task waiting for its owner keeps its place, so owners execute as
    their tasks come up, until every account is done.
    """
    manager = AirflowApi(stack.api_url, MANAGER, stack.state.passwords[MANAGER])
    approver = AirflowApi(stack.api_url, APPROVER, stack.state.passwords[APPROVER])
    done: dict[int, int] = {}

    def next_waiting() -> dict[str, Any] | None:
        gate = next(iter(_instances(manager, plan, run_id, GATE)), None)
        if gate is not None and gate["state"] == "awaiting_input":
            time.sleep(GATE_SETTLE_SECONDS)
            assert approver.answer_gate(plan.dag_id, run_id, GATE, "Approve").ok
        waiting = [ti for ti in _instances(manager, plan, run_id, EXECUTE) if ti["state"] == "deferred"]
        return next((ti for ti in waiting if ti["map_index"] not in done), None)

    while len(done) < len(accounts):
        ti = _wait(next_waiting, f"an execute task waiting for its account's owner ({len(done)} done)")
        change_set = manager.xcom(plan.dag_id, run_id, "workloads.prepare.create_change_set", ti["map_index"])
        target = plan.environments[0].catalog[change_set["label"]]
        # The deploy role of an account-owner environment may not execute: bootstrap granted it no such right.
        with pytest.raises(ClientError) as refused:
            deploy_session(target).client("cloudformation").execute_change_set(
                ChangeSetName=change_set["id"], StackName=target.stack_name
            )
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
        # The owner executes with their own credentials.
        owner = account_owner_session(target.account_id, target.region).boto_session.get_credentials()
        frozen = owner.get_frozen_credentials()
        with pytest.MonkeyPatch.context() as env:
            env.setenv("AWS_ACCESS_KEY_ID", frozen.access_key)
            env.setenv("AWS_SECRET_ACCESS_KEY", frozen.secret_key)
            env.setenv("AWS_SESSION_TOKEN", frozen.token)
            done[ti["map_index"]] = cli.main(["execute", change_set["id"]])
    return [done[index] for index in sorted(done)]


def test_release_deploys_to_the_accounts_the_organization_lists_when_it_starts(
    aws_env: Stack, plan: ReleasePlan
) -> None:
    assert plan.organizations is not None
    management = account_owner_session(plan.organizations.management_account, ORGANIZATIONS_REGION)
    accounts = ensure_organization(management, member_accounts(plan))  # made by `make up`; nothing new
    tagged = sorted(i for name, i in accounts.items() if name.startswith("fleet-") and not name.endswith("untagged"))
    untagged = accounts["fleet-workloads-0-untagged"]
    assert len(tagged) == 2

    run_id = trigger_release(aws_env, plan, "1.0.0")
    assert _owners_execute(aws_env, plan, run_id, tagged) == [0, 0]
    first = follow_run(aws_env, plan.dag_id, run_id)
    assert first.state == "success", first.task_instances
    assert smoke_results(first) == {_label(account): "success" for account in tagged}
    # The gate waited for the approver: the first release creates an IAM role (a flagged change).
    manager = AirflowApi(aws_env.api_url, MANAGER, aws_env.state.passwords[MANAGER])
    assert manager.xcom(plan.dag_id, run_id, GATE)["approved_by"] == APPROVER
    assert {account: _version_in(plan, account) for account in tagged} == dict.fromkeys(tagged, "1.0.0")
    # The account in the OU without the tag got nothing.
    untouched = account_owner_session(untagged, "eu-west-1").client("cloudformation").describe_stacks()["Stacks"]
    assert [s["StackName"] for s in untouched if not s["StackName"].startswith("flightdeck-")] == []

    # An account joins a child OU with the tag: the next release selects it, and preflight stops that release
    # until the account is bootstrapped, naming it.
    joined = ensure_organization(management, [*member_accounts(plan), LATE_JOINER])[LATE_JOINER.name]
    run_id = trigger_release(aws_env, plan, "1.1.0")
    manager.wait_for_task_state(plan.dag_id, run_id, naming.PREFLIGHT, {"failed"})
    log = manager.task_log(plan.dag_id, run_id, naming.PREFLIGHT, -1, 1)
    missing = f"{_label(joined)}: artifact bucket flightdeck-artifacts-{joined}-eu-west-1 does not exist"
    assert missing in log
    assert {account: _version_in(plan, account) for account in tagged} == dict.fromkeys(tagged, "1.0.0")

    orchestrator = f"arn:aws:iam::{ORCHESTRATOR_ACCOUNT}:root"
    assert cli.main(["bootstrap", str(FLEET), "--orchestrator-arn", orchestrator]) == 0
    seed(FLEET.parent)
    manager.clear(plan.dag_id, run_id, naming.PREFLIGHT, -1)
    everyone = sorted([*tagged, joined])
    assert _owners_execute(aws_env, plan, run_id, everyone) == [0, 0, 0]
    fixed = follow_run(aws_env, plan.dag_id, run_id)
    assert fixed.state == "success", fixed.task_instances
    assert smoke_results(fixed) == {_label(account): "success" for account in everyone}
    assert {account: _version_in(plan, account) for account in everyone} == dict.fromkeys(everyone, "1.1.0")
