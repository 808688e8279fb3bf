"""End to end: a release whose accounts are selected from AWS Organizations when it starts."""

from __future__ import annotations

import pytest

from flightdeck import cli, naming
from flightdeck.aws.organizations import ORGANIZATIONS_REGION
from flightdeck.aws.stacks import describe_stack
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, build_plan
from scripts.airflow_api import AirflowApi
from scripts.demo import MANAGER, ReleaseOutcome, deploy_session, follow_run, run_release
from scripts.demo_organization import MemberAccount, ensure_organization, member_accounts
from scripts.devstack import ORCHESTRATOR_ACCOUNT, ROOT, Stack
from scripts.seed_demo import account_owner_session, seed

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

FLEET = ROOT / "include" / "manifests" / "fleet.yaml"
LATE_JOINER = MemberAccount("fleet-late-joiner", "/Root/Workloads/Late", (("flightdeck-fleet", "yes"),))


@pytest.fixture(scope="module")
def plan() -> ReleasePlan:
    return build_plan(load_manifest(FLEET))


def _smoke_tested(outcome: ReleaseOutcome) -> dict[str, str]:
    return {
        ti["rendered_map_index"]: ti["state"]
        for ti in outcome.task_instances
        if ti["task_id"] == "workloads.deploy.smoke_test"
    }


def _version_in(plan: ReleasePlan, account_id: str) -> str | None:
    target = plan.environments[0].catalog[naming.target_label("workloads", account_id, "eu-west-1")]
    stack = describe_stack(deploy_session(target), target.stack_name)
    return stack.tags.get(naming.VERSION_TAG) if stack is not None else None


def test_release_deploys_to_the_accounts_the_organization_lists_when_it_starts(
    aws_env: Stack, plan: ReleasePlan
) -> None:
    assert plan.organizations is not None
    management = account_owner_session(plan.organizations.management_account, ORGANIZATIONS_REGION)
    accounts = ensure_organization(management, member_accounts(plan))  # made by `make up`; nothing new
    tagged = sorted(i for name, i in accounts.items() if name.startswith("fleet-") and not name.endswith("untagged"))
    untagged = accounts["fleet-workloads-0-untagged"]
    assert len(tagged) == 2

    first = run_release(aws_env, plan, "1.0.0")
    assert first.state == "success", first.task_instances
    assert _smoke_tested(first) == {f"workloads/{account}/eu-west-1": "success" for account in tagged}
    assert {account: _version_in(plan, account) for account in tagged} == dict.fromkeys(tagged, "1.0.0")
    # The account in the OU without the tag got nothing.
    untouched = account_owner_session(untagged, "eu-west-1").client("cloudformation").describe_stacks()["Stacks"]
    assert [s["StackName"] for s in untouched if not s["StackName"].startswith("flightdeck-")] == []

    # An account joins a child OU with the tag: the next release selects it, and preflight stops that release
    # until the account is bootstrapped, naming it.
    joined = ensure_organization(management, [*member_accounts(plan), LATE_JOINER])[LATE_JOINER.name]
    second = run_release(aws_env, plan, "1.1.0")
    assert second.state == "failed"
    manager = AirflowApi(aws_env.api_url, MANAGER, aws_env.state.passwords[MANAGER])
    log = manager.task_log(plan.dag_id, second.run_id, naming.PREFLIGHT, -1, 1)
    missing = f"workloads/{joined}/eu-west-1: artifact bucket flightdeck-artifacts-{joined}-eu-west-1 does not exist"
    assert missing in log
    assert {account: _version_in(plan, account) for account in tagged} == dict.fromkeys(tagged, "1.0.0")

    orchestrator = f"arn:aws:iam::{ORCHESTRATOR_ACCOUNT}:root"
    assert cli.main(["bootstrap", str(FLEET), "--orchestrator-arn", orchestrator]) == 0
    seed(FLEET.parent)
    manager.clear(plan.dag_id, second.run_id, naming.PREFLIGHT, -1)
    fixed = follow_run(aws_env, plan.dag_id, second.run_id)
    assert fixed.state == "success", fixed.task_instances
    everyone = sorted([*tagged, joined])
    assert _smoke_tested(fixed) == {f"workloads/{account}/eu-west-1": "success" for account in everyone}
    assert {account: _version_in(plan, account) for account in everyone} == dict.fromkeys(everyone, "1.1.0")
