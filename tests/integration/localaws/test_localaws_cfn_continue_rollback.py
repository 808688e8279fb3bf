"""A stack left in UPDATE_ROLLBACK_FAILED by an injected rollback failure, and recovered with ContinueUpdateRollback."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
from localaws_helpers import (
    STAGING,
    Emulator,
    attempt,
    create_change_set,
    deploy,
    describe,
    events,
    outputs,
    ssm_value,
)

from flightdeck.localaws.faults_client import FaultsError, clear_faults, faults, get_faults, set_faults

REASON = "the parameter was changed outside CloudFormation"
TAKEN = "flightdeck-taken-bucket"  # S3 bucket names are global: another account's bucket makes ours fail
OWN = "flightdeck-app-bucket"
V1 = f"""
Parameters:
  Env: {{Type: String}}
Resources:
  Setting:
    Type: AWS::SSM::Parameter
    Properties: {{Type: String, Name: /app/setting, Value: !Sub "${{Env}}-v1"}}
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {{BucketName: {OWN}}}
Outputs:
  Env: {{Value: !Ref Env}}
  Setting: {{Value: !Ref Setting}}
"""
# Extra is created, Setting updated, then Bucket fails: its new name is taken. Rolling back restores Setting and
# Bucket, then deletes Extra.
V2 = f"""
Parameters:
  Env: {{Type: String}}
Resources:
  Extra:
    Type: AWS::SSM::Parameter
    Properties: {{Type: String, Name: /app/extra, Value: new}}
  Setting:
    Type: AWS::SSM::Parameter
    Properties: {{Type: String, Name: /app/setting, Value: !Sub "${{Env}}-v2"}}
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {{BucketName: {TAKEN}}}
Outputs:
  Env: {{Value: !Ref Env}}
  Extra: {{Value: !Ref Extra}}
"""
# V1 plus Extra, then Taken, which fails: rolling back only deletes Extra.
ADDED = V1.replace(
    "Outputs:",
    f"""  Extra:
    Type: AWS::SSM::Parameter
    Properties: {{Type: String, Name: /app/extra, Value: new}}
  Taken:
    Type: AWS::S3::Bucket
    Properties: {{BucketName: {TAKEN}}}
Outputs:""",
)
SKIPPED = "Resource skipped during UpdateRollback"
NOT_CONTINUABLE = "RollbackUpdatedStack cannot be called from current stack status"


def _parameters(env: str) -> list[dict[str, str]]:
    return [{"ParameterKey": "Env", "ParameterValue": env}]


def _take_the_bucket_name(emulator: Emulator) -> None:
    s3 = emulator.client("s3", account=STAGING)
    s3.create_bucket(Bucket=TAKEN, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})


def _stuck(fixed: Emulator) -> Any:
    """Stack ``app`` at V1, then a failed update to V2 whose rollback fails: UPDATE_ROLLBACK_FAILED."""
    _take_the_bucket_name(fixed)
    cfn = fixed.client("cloudformation")
    cfn.create_stack(StackName="app", TemplateBody=V1, Parameters=_parameters("dev"))
    set_faults(fixed.endpoint_url, rollback_failure=REASON)
    cfn.update_stack(StackName="app", TemplateBody=V2, Parameters=_parameters("prod"))
    return cfn


def _since_last(cfn: Any, status: str) -> list[tuple[str, str, str]]:
    """(logical id, status, reason) of the events from the stack's last ``status`` event on."""
    found = [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in events(cfn, "app")
    ]
    last = max(i for i, (logical_id, s, _) in enumerate(found) if (logical_id, s) == ("app", status))
    return found[last:]


def _error(err: Exception | None) -> dict[str, Any]:
    assert isinstance(err, ClientError), err
    return err.response["Error"]


def test_a_failed_rollback_leaves_the_stack_stuck_half_way(fixed: Emulator) -> None:
    cfn = _stuck(fixed)

    stack = describe(cfn, "app")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    assert stack["StackStatusReason"] == (
        "The following resource(s) failed to update: [Bucket]. Rollback failed: "
        f"AWS::SSM::Parameter Setting failed to update: {REASON}"
    )
    [update_failed, rollback_failed, stack_failed] = [
        e for e in _since_last(cfn, "UPDATE_IN_PROGRESS") if e[1].endswith("_FAILED")
    ]
    assert update_failed[:2] == ("Bucket", "UPDATE_FAILED")
    assert "BucketAlreadyExists" in update_failed[2]  # a genuine failure of the update
    assert rollback_failed == ("Setting", "UPDATE_FAILED", f"AWS::SSM::Parameter Setting failed to update: {REASON}")
    assert stack_failed == ("app", "UPDATE_ROLLBACK_FAILED", stack["StackStatusReason"])
    # Nothing was restored: the update's changes are all still there.
    ssm = fixed.client("ssm")
    assert (ssm_value(ssm, "/app/setting"), ssm_value(ssm, "/app/extra")) == ("prod-v2", "new")
    assert cfn.get_template(StackName="app")["TemplateBody"] == V2


def test_a_created_resource_that_cannot_be_deleted_fails_the_rollback(fixed: Emulator) -> None:
    _take_the_bucket_name(fixed)
    cfn = fixed.client("cloudformation")
    cfn.create_stack(StackName="app", TemplateBody=V1, Parameters=_parameters("dev"))

    with faults(fixed.endpoint_url, rollback_failure=REASON):
        cfn.update_stack(StackName="app", TemplateBody=ADDED, Parameters=_parameters("dev"))

    stack = describe(cfn, "app")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    assert stack["StackStatusReason"] == (
        "The following resource(s) failed to create: [Taken]. Rollback failed: "
        f"AWS::SSM::Parameter Extra failed to delete: {REASON}"
    )
    failed = [e for e in _since_last(cfn, "UPDATE_ROLLBACK_IN_PROGRESS") if e[1].endswith("_FAILED")]
    assert failed == [
        ("Extra", "DELETE_FAILED", f"AWS::SSM::Parameter Extra failed to delete: {REASON}"),
        ("app", "UPDATE_ROLLBACK_FAILED", stack["StackStatusReason"]),
    ]
    assert ssm_value(fixed.client("ssm"), "/app/extra") == "new"

    cfn.continue_update_rollback(StackName="app")

    assert describe(cfn, "app")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert ssm_value(fixed.client("ssm"), "/app/extra") is None


def test_continuing_while_the_fault_is_set_fails_again(fixed: Emulator) -> None:
    cfn = _stuck(fixed)
    stack_id = describe(cfn, "app")["StackId"]

    cfn.continue_update_rollback(StackName=stack_id)

    stack = describe(cfn, "app")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    assert REASON in stack["StackStatusReason"]
    assert _since_last(cfn, "UPDATE_ROLLBACK_IN_PROGRESS") == [
        ("app", "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated"),
        ("Setting", "UPDATE_FAILED", f"AWS::SSM::Parameter Setting failed to update: {REASON}"),
        ("app", "UPDATE_ROLLBACK_FAILED", stack["StackStatusReason"]),
    ]
    assert ssm_value(fixed.client("ssm"), "/app/setting") == "prod-v2"


def test_continuing_after_the_cause_is_gone_restores_the_stack_before_the_update(fixed: Emulator) -> None:
    _take_the_bucket_name(fixed)
    cfn = fixed.client("cloudformation")
    cfn.create_stack(StackName="app", TemplateBody=V1, Parameters=_parameters("dev"))
    before = {
        "parameters": describe(cfn, "app")["Parameters"],
        "outputs": outputs(cfn, "app"),
        "template": cfn.get_template(StackName="app")["TemplateBody"],
        "resources": _resources(cfn),
    }
    with faults(fixed.endpoint_url, rollback_failure=REASON):
        cfn.update_stack(StackName="app", TemplateBody=V2, Parameters=_parameters("prod"))
    assert describe(cfn, "app")["StackStatus"] == "UPDATE_ROLLBACK_FAILED"

    assert cfn.continue_update_rollback(StackName="app")["ResponseMetadata"]["HTTPStatusCode"] == 200

    stack = describe(cfn, "app")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert [e[:2] for e in _since_last(cfn, "UPDATE_ROLLBACK_IN_PROGRESS")] == [
        ("app", "UPDATE_ROLLBACK_IN_PROGRESS"),
        ("Setting", "UPDATE_COMPLETE"),
        ("Bucket", "UPDATE_COMPLETE"),
        ("Extra", "DELETE_COMPLETE"),
        ("app", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"),
        ("app", "UPDATE_ROLLBACK_COMPLETE"),
    ]
    assert stack["Parameters"] == before["parameters"]
    assert outputs(cfn, "app") == before["outputs"]
    assert cfn.get_template(StackName="app")["TemplateBody"] == before["template"]
    assert _resources(cfn) == before["resources"]
    ssm = fixed.client("ssm")
    assert (ssm_value(ssm, "/app/setting"), ssm_value(ssm, "/app/extra")) == ("dev-v1", None)
    fixed.client("s3").head_bucket(Bucket=OWN)
    # Usable again: a change set is accepted and deploys.
    assert deploy(cfn, "app", V1.replace("-v1", "-v3"), kind="UPDATE", parameters={"Env": "dev"}) is None
    assert describe(cfn, "app")["StackStatus"] == "UPDATE_COMPLETE"
    assert ssm_value(ssm, "/app/setting") == "dev-v3"


def test_skipped_resources_are_left_as_the_update_left_them(fixed: Emulator) -> None:
    cfn = _stuck(fixed)

    cfn.continue_update_rollback(StackName="app", ResourcesToSkip=["Setting"])  # fault still set: Bucket fails next
    still = describe(cfn, "app")
    clear_faults(fixed.endpoint_url)
    cfn.continue_update_rollback(StackName="app", ResourcesToSkip=["Bucket"])

    assert still["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    assert still["StackStatusReason"].endswith(f"AWS::S3::Bucket Bucket failed to update: {REASON}")
    assert describe(cfn, "app")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    skipped = [
        (e["LogicalResourceId"], e["ResourceStatus"])
        for e in events(cfn, "app")
        if e.get("ResourceStatusReason") == SKIPPED
    ]
    assert skipped == [("Setting", "UPDATE_COMPLETE"), ("Bucket", "UPDATE_COMPLETE")]
    ssm = fixed.client("ssm")
    assert ssm_value(ssm, "/app/setting") == "prod-v2"  # skipped: not restored
    assert ssm_value(ssm, "/app/extra") is None  # not skipped: deleted
    assert cfn.get_template(StackName="app")["TemplateBody"] == V1
    assert _resources(cfn) == ["Bucket", "Setting"]


@pytest.mark.parametrize(
    ("skip", "reason"),
    [
        (["Nope"], "Resources with logicalIds [Nope] do not belong to stack app"),
        (["Bucket"], "Only the resources in UPDATE_FAILED state are allowed to be skipped"),
    ],
    ids=["not-the-stacks", "rollback-did-not-fail"],
)
def test_a_skip_aws_would_refuse_fails_the_rollback_with_the_reason(
    fixed: Emulator, skip: list[str], reason: str
) -> None:
    cfn = _stuck(fixed)
    clear_faults(fixed.endpoint_url)

    cfn.continue_update_rollback(StackName="app", ResourcesToSkip=skip)

    stack = describe(cfn, "app")
    assert (stack["StackStatus"], stack["StackStatusReason"]) == ("UPDATE_ROLLBACK_FAILED", reason)
    assert ssm_value(fixed.client("ssm"), "/app/setting") == "prod-v2"  # nothing touched
    cfn.continue_update_rollback(StackName="app", ResourcesToSkip=["Setting"])
    assert describe(cfn, "app")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"


def test_force_rollback_skips_every_resource_whose_rollback_failed(fixed: Emulator) -> None:
    cfn = _stuck(fixed)
    clear_faults(fixed.endpoint_url)

    both = _error(
        attempt(cfn.continue_update_rollback, StackName="app", ForceRollback=True, ResourcesToSkip=["Setting"])
    )
    cfn.continue_update_rollback(StackName="app", ForceRollback=True)

    assert both["Code"] == "ValidationError"
    assert describe(cfn, "app")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert ssm_value(fixed.client("ssm"), "/app/setting") == "prod-v2"


def test_a_stuck_stack_refuses_updates(fixed: Emulator) -> None:
    _take_the_bucket_name(fixed)
    cfn = fixed.client("cloudformation")
    cfn.create_stack(StackName="app", TemplateBody=V1, Parameters=_parameters("dev"))
    create_change_set(cfn, "app", V1.replace("-v1", "-v3"), kind="UPDATE", name="earlier", parameters={"Env": "dev"})
    with faults(fixed.endpoint_url, rollback_failure=REASON):
        cfn.update_stack(StackName="app", TemplateBody=V2, Parameters=_parameters("prod"))
    stack_id = describe(cfn, "app")["StackId"]

    refusals = [
        attempt(create_change_set, cfn, "app", V1, kind="UPDATE", name="later", parameters={"Env": "dev"}),
        attempt(cfn.update_stack, StackName="app", TemplateBody=V1, Parameters=_parameters("dev")),
        attempt(cfn.execute_change_set, StackName="app", ChangeSetName="earlier"),
    ]

    for refused in refusals:
        assert _error(refused) == {
            "Type": "Sender",
            "Code": "ValidationError",
            "Message": f"Stack:{stack_id} is in UPDATE_ROLLBACK_FAILED state and can not be updated.",
        }
    assert describe(cfn, "app")["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    assert ssm_value(fixed.client("ssm"), "/app/setting") == "prod-v2"


def test_continue_update_rollback_is_missing_from_stock_moto(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    cfn.create_stack(StackName="app", TemplateBody=V1, Parameters=_parameters("dev"))

    error = attempt(cfn.continue_update_rollback, StackName="app")
    missing = attempt(cfn.continue_update_rollback, StackName="nope")

    if emulator.stock:  # not implemented: HTTP 500 with an HTML body
        assert isinstance(error, ResponseParserError)
        return
    assert _error(error) == {"Type": "Sender", "Code": "ValidationError", "Message": NOT_CONTINUABLE}
    assert _error(missing)["Message"] == "Stack with id nope does not exist"
    assert describe(cfn, "app")["StackStatus"] == "CREATE_COMPLETE"


def test_a_continued_rollback_is_shown_in_progress_when_stacks_are_slow(fixed: Emulator) -> None:
    cfn = _stuck(fixed)
    set_faults(fixed.endpoint_url, stack_operation_seconds=30)

    cfn.continue_update_rollback(StackName="app")
    shown = describe(cfn, "app")["StackStatus"]
    again = _error(attempt(cfn.continue_update_rollback, StackName="app"))
    clear_faults(fixed.endpoint_url)

    assert shown == "UPDATE_ROLLBACK_IN_PROGRESS"
    assert again["Message"] == NOT_CONTINUABLE
    assert describe(cfn, "app")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "rollback_failure must be a non-empty string (the reason) or null"),
        (True, "rollback_failure must be a non-empty string (the reason) or null"),
        (["reason"], "rollback_failure must be a non-empty string (the reason) or null"),
    ],
    ids=["empty", "boolean", "list"],
)
def test_an_invalid_rollback_failure_is_refused(fixed: Emulator, value: Any, message: str) -> None:
    with pytest.raises(FaultsError, match="HTTP 400") as raised:
        set_faults(fixed.endpoint_url, rollback_failure=value)

    assert message in str(raised.value)
    assert get_faults(fixed.endpoint_url)["cloudformation"]["rollback_failure"] is None


def test_the_rollback_failure_is_shown_and_cleared(fixed: Emulator) -> None:
    with faults(fixed.endpoint_url, rollback_failure=REASON) as config:
        shown = get_faults(fixed.endpoint_url)["cloudformation"]["rollback_failure"]

    assert config["cloudformation"]["rollback_failure"] == shown == REASON
    assert get_faults(fixed.endpoint_url)["cloudformation"]["rollback_failure"] is None


def _resources(cfn: Any) -> list[str]:
    summaries = cfn.list_stack_resources(StackName="app")["StackResourceSummaries"]
    return sorted(r["LogicalResourceId"] for r in summaries)
