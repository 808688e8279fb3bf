"""Gap A: a stack deployed by change set has fresh Outputs."""

from __future__ import annotations

from localaws_helpers import Emulator, deploy, outputs, parameter_template

TEMPLATE = """
Parameters:
  Version: {Type: String}
Resources:
  Marker:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Name: !Sub "/app/${Version}/marker", Value: !Ref Version}
Outputs:
  MarkerName: {Value: !Ref Marker, Description: where the marker is}
  Version: {Value: !Ref Version}
"""


def test_create_change_set_gives_the_stack_its_outputs(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")

    assert deploy(cfn, "app", TEMPLATE, parameters={"Version": "1.0.0"}) is None

    if emulator.stock:
        assert outputs(cfn, "app") == {}
    else:
        assert outputs(cfn, "app") == {"MarkerName": "/app/1.0.0/marker", "Version": "1.0.0"}


def test_update_change_set_refreshes_outputs(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    # create_stack refreshes outputs even on plain moto: the update is what is under test.
    cfn.create_stack(StackName="app", TemplateBody=TEMPLATE, Parameters=[_version("1.0.0")])
    assert outputs(cfn, "app")["Version"] == "1.0.0"

    assert deploy(cfn, "app", TEMPLATE, kind="UPDATE", parameters={"Version": "2.0.0"}) is None

    if emulator.stock:
        assert outputs(cfn, "app") == {"MarkerName": "/app/1.0.0/marker", "Version": "1.0.0"}
    else:
        assert outputs(cfn, "app") == {"MarkerName": "/app/2.0.0/marker", "Version": "2.0.0"}
        ssm = emulator.client("ssm")
        assert ssm.get_parameter(Name="/app/2.0.0/marker")["Parameter"]["Value"] == "2.0.0"


def test_outputs_of_a_template_change_appear_and_disappear(emulator: Emulator) -> None:
    cfn = emulator.client("cloudformation")
    first = parameter_template({"A": ("/a", "1")}, {"First": "!Ref A"})
    second = parameter_template({"A": ("/a", "1"), "B": ("/b", "2")}, {"Second": "!Ref B"})
    cfn.create_stack(StackName="app", TemplateBody=first)

    assert deploy(cfn, "app", second, kind="UPDATE") is None

    assert outputs(cfn, "app") == ({"First": "/a"} if emulator.stock else {"Second": "/b"})


def _version(value: str) -> dict[str, str]:
    return {"ParameterKey": "Version", "ParameterValue": value}
