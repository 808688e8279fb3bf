"""Drift-aware change sets (``DeploymentMode=REVERT_DRIFT``): drifted resources listed, then put back in sync."""

from __future__ import annotations

import json
from typing import Any

import pytest
from localaws_helpers import Emulator, attempt, create_change_set, describe, ssm_value
from test_localaws_cfn_drift import SECRET, TEMPLATE, _deploy, _detect, _drifts, _physical_id, _set_greeting

BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def _revert(cfn: Any, name: str = "refresh-1", template: str = TEMPLATE, **extra: Any) -> dict[str, Any]:
    """Create a drift-aware UPDATE change set of ``template`` and describe it."""
    create_change_set(cfn, "app", template, "UPDATE", name, DeploymentMode="REVERT_DRIFT", **extra)
    return cfn.describe_change_set(StackName="app", ChangeSetName=name)


def _environment(emulator: Emulator) -> dict[str, str]:
    function = emulator.client("lambda").get_function_configuration(FunctionName=_physical_id(emulator, "Function"))
    return dict(function["Environment"]["Variables"])


def test_drifted_resources_are_listed_and_put_back(fixed: Emulator) -> None:
    cfn = _deploy(fixed)
    ssm, iam = fixed.client("ssm"), fixed.client("iam")
    _set_greeting(fixed, "hi", EXTRA="added")
    ssm.put_parameter(Name="/app/version", Value="9.9.9", Overwrite=True)
    iam.detach_role_policy(RoleName=_physical_id(fixed, "Role"), PolicyArn=BASIC)
    assert _detect(cfn)["StackDriftStatus"] == "DRIFTED"

    change_set = _revert(cfn)

    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert change_set["DeploymentMode"] == "REVERT_DRIFT"
    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in change_set["Changes"]}
    assert {name: (c["Action"], c["ResourceDriftStatus"]) for name, c in changes.items()} == {
        "Role": ("Modify", "MODIFIED"),
        "Function": ("Modify", "MODIFIED"),
        "Setting": ("Modify", "MODIFIED"),
    }
    setting = changes["Setting"]
    assert setting["PhysicalResourceId"] == "/app/version"
    assert setting["Details"] == [
        {
            "Target": {
                "Attribute": "Properties",
                "Name": "Value",
                "RequiresRecreation": "Never",
                "Path": "/Value",
                "BeforeValue": "9.9.9",
                "AfterValue": "1.0.0",
                "BeforeValueFrom": "ACTUAL_STATE",
                "AfterValueFrom": "TEMPLATE",
                "AttributeChangeType": "Modify",
            },
            "Evaluation": "Static",
            "ChangeSource": "DirectModification",
        }
    ]
    assert SECRET not in json.dumps(change_set, default=str)

    assert attempt(cfn.execute_change_set, StackName="app", ChangeSetName="refresh-1") is None

    assert describe(cfn, "app")["StackStatus"] == "UPDATE_COMPLETE"
    assert ssm_value(ssm, "/app/version") == "1.0.0"
    assert _environment(fixed) == {"GREETING": "hello", "TOKEN": SECRET}
    attached = iam.list_attached_role_policies(RoleName=_physical_id(fixed, "Role"))["AttachedPolicies"]
    assert [policy["PolicyArn"] for policy in attached] == [BASIC]
    # Reset by the execution, before any new detection; and a new detection agrees.
    resources = cfn.describe_stack_resources(StackName="app")["StackResources"]
    statuses = {r["LogicalResourceId"]: r["DriftInformation"]["StackResourceDriftStatus"] for r in resources}
    assert statuses == {"Role": "IN_SYNC", "Function": "IN_SYNC", "Setting": "IN_SYNC", "Permission": "NOT_CHECKED"}
    assert describe(cfn, "app")["DriftInformation"]["StackDriftStatus"] == "IN_SYNC"
    assert _detect(cfn)["StackDriftStatus"] == "IN_SYNC"


def test_a_deleted_resource_is_created_again(fixed: Emulator) -> None:
    cfn = _deploy(fixed)
    ssm = fixed.client("ssm")
    ssm.delete_parameter(Name="/app/version")

    change_set = _revert(cfn)

    [change] = [c["ResourceChange"] for c in change_set["Changes"]]
    assert (change["LogicalResourceId"], change["ResourceDriftStatus"]) == ("Setting", "DELETED")
    assert attempt(cfn.execute_change_set, StackName="app", ChangeSetName="refresh-1") is None
    assert ssm_value(ssm, "/app/version") == "1.0.0"
    assert _drifts(cfn) == {} or _detect(cfn)["StackDriftStatus"] == "IN_SYNC"


def test_without_drift_nothing_changes_and_a_normal_change_set_ignores_drift(fixed: Emulator) -> None:
    cfn = _deploy(fixed)

    in_sync = _revert(cfn, "refresh-1")

    assert (in_sync["Status"], in_sync["Changes"]) == ("FAILED", [])
    assert in_sync["StatusReason"].startswith("The submitted information didn't contain changes")
    fixed.client("ssm").put_parameter(Name="/app/version", Value="9.9.9", Overwrite=True)
    create_change_set(cfn, "app", TEMPLATE, "UPDATE", "plain-1")
    plain = cfn.describe_change_set(StackName="app", ChangeSetName="plain-1")
    assert plain["Status"] == "FAILED"  # only drift differs: a normal change set sees nothing
    assert "DeploymentMode" not in plain


def test_template_changes_and_drift_are_applied_together(fixed: Emulator) -> None:
    cfn = _deploy(fixed)
    _set_greeting(fixed, "hi")

    change_set = _revert(cfn, parameters={"Version": "2.0.0"})

    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in change_set["Changes"]}
    assert changes["Function"]["ResourceDriftStatus"] == "MODIFIED"  # (parameter-only changes list nothing: gap E)
    assert attempt(cfn.execute_change_set, StackName="app", ChangeSetName="refresh-1") is None
    assert ssm_value(fixed.client("ssm"), "/app/version") == "2.0.0"
    assert _environment(fixed)["GREETING"] == "hello"


@pytest.mark.parametrize(
    ("kind", "mode", "message"),
    [
        ("CREATE", "REVERT_DRIFT", "DeploymentMode REVERT_DRIFT is only supported for UPDATE change sets"),
        ("UPDATE", "SOMETHING", "Invalid DeploymentMode SOMETHING"),
    ],
)
def test_refused_where_aws_refuses(fixed: Emulator, kind: str, mode: str, message: str) -> None:
    cfn = _deploy(fixed)

    error = attempt(
        create_change_set, cfn, "other" if kind == "CREATE" else "app", TEMPLATE, kind, "x", **{"DeploymentMode": mode}
    )

    assert error is not None
    assert message in str(error)
