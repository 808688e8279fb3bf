"""Gap: moto updates a changed resource whose ``Condition`` is false (it was never created) and fails the update.

AWS leaves such a resource alone, creates one whose condition turned true, and deletes one whose condition turned
false. (Seen bootstrapping a second application into a region whose bootstrap stack holds no roles.)
"""

from __future__ import annotations

from localaws_helpers import Emulator, deploy, describe, ssm_value


def _template(value: str) -> str:
    return f"""
Parameters:
  Create: {{Type: String, AllowedValues: ["yes", "no"]}}
Conditions:
  Wanted: !Equals [!Ref Create, "yes"]
Resources:
  Always:
    Type: AWS::SSM::Parameter
    Properties: {{Name: /app/always, Type: String, Value: "{value}"}}
  Maybe:
    Type: AWS::SSM::Parameter
    Condition: Wanted
    Properties: {{Name: /app/maybe, Type: String, Value: "{value}"}}
"""


def _deploy(emulator: Emulator, value: str, create: str, kind: str, name: str) -> str:
    cfn = emulator.client("cloudformation")
    deploy(cfn, "conditional", _template(value), kind, name, parameters={"Create": create})
    return describe(cfn, "conditional")["StackStatus"]


def test_a_resource_whose_condition_is_false_is_left_alone_when_its_properties_change(emulator: Emulator) -> None:
    assert _deploy(emulator, "v1", "no", "CREATE", "release-1") == "CREATE_COMPLETE"
    status = _deploy(emulator, "v2", "no", "UPDATE", "release-2")
    if emulator.stock:
        assert status != "UPDATE_COMPLETE"  # moto tried to update what does not exist: the update broke off
        return
    ssm = emulator.client("ssm")
    assert status == "UPDATE_COMPLETE"
    assert (ssm_value(ssm, "/app/always"), ssm_value(ssm, "/app/maybe")) == ("v2", None)


def test_a_condition_turning_true_creates_and_turning_false_deletes(fixed: Emulator) -> None:
    ssm = fixed.client("ssm")
    assert _deploy(fixed, "v1", "no", "CREATE", "release-1") == "CREATE_COMPLETE"
    assert _deploy(fixed, "v2", "yes", "UPDATE", "release-2") == "UPDATE_COMPLETE"
    assert ssm_value(ssm, "/app/maybe") == "v2"
    assert _deploy(fixed, "v3", "no", "UPDATE", "release-3") == "UPDATE_COMPLETE"
    assert (ssm_value(ssm, "/app/always"), ssm_value(ssm, "/app/maybe")) == ("v3", None)
