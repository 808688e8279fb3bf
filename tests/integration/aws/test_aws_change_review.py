"""Change review of the hello app's change sets: complete on the emulator, bound by a fingerprint, discardable."""

from __future__ import annotations

import pytest
from aws_helpers import DEV, HelloTarget

from flightdeck.aws.change_review import snapshot_change_set
from flightdeck.aws.cloudformation import execute_change_set
from flightdeck.aws.discard import discard_change_set
from flightdeck.aws.stacks import describe_stack
from flightdeck.changes import FlagKind
from flightdeck.operators.review import review_snapshot
from flightdeck.plan import ParameterSource, Target

pytestmark = pytest.mark.integration


def _target(hello: HelloTarget) -> Target:
    return Target(
        environment="dev",
        account_id=DEV,
        region=hello.session.region,
        stack_name=hello.stack_name,
        deploy_role_arn=f"arn:aws:iam::{DEV}:role/flightdeck-deploy",
        execution_role_arn=f"arn:aws:iam::{DEV}:role/flightdeck-cfn-exec",
        external_id="flightdeck-demo",
        artifact_bucket=f"flightdeck-artifacts-{DEV}-{hello.session.region}",
        parameters=(ParameterSource("Greeting", "ssm", "/flightdeck/hello/greeting"),),
        tags=(),
    )


def test_new_stack_review_flags_its_iam_role(hello: HelloTarget) -> None:
    change_set = hello.change_set("1.0.0", "release-1")
    snapshot = snapshot_change_set(hello.session, stack_name=hello.stack_name, change_set_id=change_set.id)
    assert snapshot.old_template is None
    assert snapshot.execution_status == "AVAILABLE"
    review = review_snapshot(snapshot, _target(hello), {})
    assert {(r.action, r.logical_id) for r in review.summary.resources} >= {
        ("Add", "Function"),
        ("Add", "FunctionRole"),
    }
    # The function's role, and the public URL's two permissions: each widens who may do what.
    assert sorted((flag.kind, flag.logical_id) for flag in review.summary.flags) == [
        (FlagKind.IAM_BROADENED, "FunctionRole"),
        (FlagKind.IAM_BROADENED, "FunctionUrlInvokePermission"),
        (FlagKind.IAM_BROADENED, "FunctionUrlPermission"),
    ]
    assert review.summary.needs_person


def test_update_review_is_complete_and_its_fingerprint_stable(hello: HelloTarget) -> None:
    first = hello.change_set("1.0.0", "release-1")
    execute_change_set(hello.session, stack_name=hello.stack_name, change_set_id=first.id)
    second = hello.change_set("2.0.0", "release-2")
    snapshot = snapshot_change_set(hello.session, stack_name=hello.stack_name, change_set_id=second.id)
    review = review_snapshot(snapshot, _target(hello), {})
    # The emulator's Changes are shallow; the template comparison makes the summary complete.
    assert ("Modify", "Function") in {(r.action, r.logical_id) for r in review.summary.resources}
    assert [(p.name, p.before, p.after) for p in review.summary.parameters] == [("AppVersion", "1.0.0", "2.0.0")]
    assert not review.summary.flags
    again = snapshot_change_set(hello.session, stack_name=hello.stack_name, change_set_id=second.id)
    assert review_snapshot(again, _target(hello), {}).fingerprint == review.fingerprint


def test_discarding_a_create_change_set_leaves_no_stack(hello: HelloTarget) -> None:
    change_set = hello.change_set("1.0.0", "release-1")
    assert describe_stack(hello.session, hello.stack_name).status == "REVIEW_IN_PROGRESS"
    discard_change_set(hello.session, stack_name=hello.stack_name, change_set_id=change_set.id)
    assert describe_stack(hello.session, hello.stack_name) is None


def test_discarding_an_update_change_set_keeps_the_stack(hello: HelloTarget) -> None:
    first = hello.change_set("1.0.0", "release-1")
    execute_change_set(hello.session, stack_name=hello.stack_name, change_set_id=first.id)
    second = hello.change_set("2.0.0", "release-2")
    discard_change_set(hello.session, stack_name=hello.stack_name, change_set_id=second.id)
    stack = describe_stack(hello.session, hello.stack_name)
    assert (stack.status, stack.parameters["AppVersion"]) == ("CREATE_COMPLETE", "1.0.0")
    cfn = hello.session.client("cloudformation")
    assert "release-2" not in [
        s["ChangeSetName"] for s in cfn.list_change_sets(StackName=hello.stack_name)["Summaries"]
    ]
