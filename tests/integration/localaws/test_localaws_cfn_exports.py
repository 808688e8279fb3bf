"""Gap D: stacks deployed by change set publish their Exports and can ``Fn::ImportValue`` others'."""

from __future__ import annotations

from localaws_helpers import DEV, STAGING, Emulator, deploy, describe, events, ssm_value, status_or_error

NETWORK = """
Parameters:
  Cidr: {Type: String}
Resources:
  Vpc:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Name: /network/vpc, Value: !Ref Cidr}
Outputs:
  VpcParameter:
    Value: !Ref Vpc
    Export: {Name: network-vpc-parameter}
  Cidr:
    Value: !Ref Cidr
    Export: {Name: !Sub "${AWS::StackName}-cidr"}
"""
APP = """
Resources:
  Uses:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Name: /app/cidr, Value: !ImportValue network-cidr}
"""


def _exports(cfn: object) -> dict[str, str]:
    return {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}  # type: ignore[attr-defined]


def test_change_set_stacks_export_and_import(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")

    assert deploy(cfn, "network", NETWORK, parameters={"Cidr": "10.0.0.0/16"}) is None
    importing = deploy(cfn, "app", APP)

    if emulator.stock:
        assert _exports(cfn) == {}
        assert importing is not None  # HTTP 500: "No export named network-cidr found."
        return
    assert _exports(cfn) == {"network-vpc-parameter": "/network/vpc", "network-cidr": "10.0.0.0/16"}
    assert importing is None
    assert describe(cfn, "app")["StackStatus"] == "CREATE_COMPLETE"
    assert ssm_value(emulator.client("ssm"), "/app/cidr") == "10.0.0.0/16"


def test_update_change_set_republishes_exports(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    cfn.create_stack(StackName="network", TemplateBody=NETWORK, Parameters=[_cidr("10.0.0.0/16")])

    assert deploy(cfn, "network", NETWORK, kind="UPDATE", parameters={"Cidr": "10.1.0.0/16"}) is None

    expected = "10.0.0.0/16" if emulator.stock else "10.1.0.0/16"
    assert _exports(cfn)["network-cidr"] == expected


def test_exports_are_per_account_and_go_with_their_stack(fixed: Emulator) -> None:
    dev, staging = fixed.client("cloudformation", DEV), fixed.client("cloudformation", STAGING)
    deploy(dev, "network", NETWORK, parameters={"Cidr": "10.0.0.0/16"})

    deploy(staging, "app", APP)

    assert describe(staging, "app")["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [e for e in events(staging, "app") if e["ResourceStatus"] == "CREATE_FAILED"]
    assert "No export named network-cidr found" in failed[0]["ResourceStatusReason"]
    dev.delete_stack(StackName="network")
    assert _exports(dev) == {}
    assert deploy(dev, "app", APP) is None
    assert status_or_error(dev, "app") == "ROLLBACK_COMPLETE"


def test_an_export_name_belongs_to_one_stack(fixed: Emulator) -> None:
    cfn = fixed.client("cloudformation")
    deploy(cfn, "network", NETWORK, parameters={"Cidr": "10.0.0.0/16"})
    duplicate = NETWORK.replace("/network/vpc", "/copy/vpc").replace('"${AWS::StackName}-cidr"', "copy-cidr")

    deploy(cfn, "copy", duplicate, parameters={"Cidr": "10.9.0.0/16"})

    stack = describe(cfn, "copy")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "network-vpc-parameter is already exported by stack network" in stack["StackStatusReason"]
    assert _exports(cfn)["network-vpc-parameter"] == "/network/vpc"
    assert ssm_value(fixed.client("ssm"), "/copy/vpc") is None


def _cidr(value: str) -> dict[str, str]:
    return {"ParameterKey": "Cidr", "ParameterValue": value}
