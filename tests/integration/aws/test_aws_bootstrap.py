"""Bootstrap creates a bucket per region and the roles once per account; re-running changes nothing."""

from __future__ import annotations

import json

import pytest
from aws_helpers import (
    DEV,
    EXTERNAL_ID,
    ORCHESTRATOR,
    REGION,
    STAGING,
    admin_session,
    artifact_bucket,
    bootstrap,
)

from flightdeck.aws.bootstrap import STACK_NAME, bootstrap_account, roles_region, trusted_prefixes

pytestmark = pytest.mark.integration

SECOND_REGION = "us-east-1"


def test_bootstrap_two_accounts_and_regions(local_aws: str) -> None:
    states = {
        (DEV, REGION): bootstrap(DEV, REGION),
        (DEV, SECOND_REGION): bootstrap(DEV, SECOND_REGION, create_roles=False),
        (STAGING, REGION): bootstrap(STAGING, REGION),
    }
    for (account, region), state in states.items():
        assert state.name == STACK_NAME
        assert state.status == "CREATE_COMPLETE"
        assert f":{region}:{account}:stack/{STACK_NAME}/" in state.stack_id
        assert state.outputs == {
            "ArtifactBucket": artifact_bucket(account, region),
            "DeployRoleArn": f"arn:aws:iam::{account}:role/flightdeck-deploy",
            "ExecutionRoleArn": f"arn:aws:iam::{account}:role/flightdeck-cfn-exec",
        }
        s3 = admin_session(account, region).client("s3")
        assert artifact_bucket(account, region) in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    for account in (DEV, STAGING):
        roles = [r["RoleName"] for r in admin_session(account).client("iam").list_roles()["Roles"]]
        assert sorted(roles) == ["flightdeck-cfn-exec", "flightdeck-deploy"]


def test_second_region_creates_no_roles(local_aws: str) -> None:
    state = bootstrap(DEV, SECOND_REGION, create_roles=False)
    assert state.parameters["CreateRoles"] == "false"
    assert admin_session(DEV).client("iam").list_roles()["Roles"] == []
    buckets = admin_session(DEV, SECOND_REGION).client("s3").list_buckets()["Buckets"]
    assert [b["Name"] for b in buckets] == [artifact_bucket(DEV, SECOND_REGION)]


def test_deploy_role_trusts_only_the_orchestrator_with_the_external_id(local_aws: str) -> None:
    bootstrap(DEV)
    role = admin_session(DEV).client("iam").get_role(RoleName="flightdeck-deploy")["Role"]
    document = role["AssumeRolePolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    (statement,) = document["Statement"]
    assert statement["Principal"] == {"AWS": ORCHESTRATOR}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}


def test_bootstrap_again_changes_nothing(local_aws: str) -> None:
    first = bootstrap(DEV)
    cfn = admin_session(DEV).client("cloudformation")
    events = len(cfn.describe_stack_events(StackName=STACK_NAME)["StackEvents"])

    second = bootstrap(DEV)
    assert second.stack_id == first.stack_id
    assert second.status == "CREATE_COMPLETE"
    assert len(cfn.describe_stack_events(StackName=STACK_NAME)["StackEvents"]) == events


def test_bootstrap_with_new_inputs_updates(local_aws: str) -> None:
    first = bootstrap(DEV)
    updated = bootstrap_account(
        admin_session(DEV),
        orchestrator_principal_arn=ORCHESTRATOR,
        external_id=EXTERNAL_ID,
        create_roles=True,
        application_stack_prefixes=("hello-", "other-"),
    )
    assert updated.stack_id == first.stack_id
    assert updated.status == "UPDATE_COMPLETE"
    assert updated.parameters["StackNamePrefixes"] == "hello-,other-"
    assert trusted_prefixes(admin_session(DEV)) == ("hello-", "other-")


def test_roles_region_is_tagged_on_the_deploy_role(local_aws: str) -> None:
    assert roles_region(admin_session(DEV)) is None
    bootstrap(DEV, SECOND_REGION)
    bootstrap(DEV, REGION, create_roles=False)
    # Asked from any region: IAM is global.
    assert roles_region(admin_session(DEV, REGION)) == SECOND_REGION
    assert trusted_prefixes(admin_session(DEV, SECOND_REGION)) == ("hello-",)
