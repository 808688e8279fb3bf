"""Templates load from YAML with CloudFormation short-form tags, or from JSON, as plain long-form data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flightdeck.aws.packaging import canonical_json, load_template
from flightdeck.errors import FlightdeckError

INCLUDE = Path(__file__).resolve().parents[3] / "include"

SHORT_FORM = """\
AWSTemplateFormatVersion: 2010-09-09
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
Resources:
  Thing:
    Type: AWS::SSM::Parameter
    Condition: IsProd
    Properties:
      Name: !Sub "/app/${Env}/x"
      Value: !If [IsProd, !GetAtt Other.Arn, !Join ["-", [a, !Select [0, !GetAZs ""]]]]
      Description: !Sub
        - "${A} of ${AWS::Region}"
        - A: !ImportValue shared-name
      Tags: !GetAtt [Other, Tags]
      Data: !Base64 "hello"
      Mapped: !FindInMap [Map, !Ref "AWS::Region", Key]
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_short_form_tags_become_long_form(tmp_path: Path) -> None:
    template = load_template(_write(tmp_path, "t.yaml", SHORT_FORM))
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    assert template["Conditions"] == {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
    }
    props = template["Resources"]["Thing"]["Properties"]
    assert props["Name"] == {"Fn::Sub": "/app/${Env}/x"}
    assert props["Value"] == {
        "Fn::If": [
            "IsProd",
            {"Fn::GetAtt": ["Other", "Arn"]},
            {"Fn::Join": ["-", ["a", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}]]},
        ]
    }
    imported = {"A": {"Fn::ImportValue": "shared-name"}}
    assert props["Description"] == {"Fn::Sub": ["${A} of ${AWS::Region}", imported]}
    assert props["Tags"] == {"Fn::GetAtt": ["Other", "Tags"]}
    assert props["Data"] == {"Fn::Base64": "hello"}
    assert props["Mapped"] == {"Fn::FindInMap": ["Map", {"Ref": "AWS::Region"}, "Key"]}


def test_getatt_keeps_dots_after_the_first(tmp_path: Path) -> None:
    text = "Resources:\n  A:\n    Type: X\n    Properties:\n      V: !GetAtt Db.Endpoint.Address\n"
    value = load_template(_write(tmp_path, "t.yaml", text))["Resources"]["A"]["Properties"]["V"]
    assert value == {"Fn::GetAtt": ["Db", "Endpoint.Address"]}


def test_json_templates_load(tmp_path: Path) -> None:
    data = {"Resources": {"A": {"Type": "AWS::SNS::Topic"}}}
    assert load_template(_write(tmp_path, "t.json", json.dumps(data))) == data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Resources: [", "not a valid template"),
        ("- just a list\n", "needs a Resources mapping"),
        ("Description: no resources\n", "needs a Resources mapping"),
        ("!!python/object:os.system {}\n", "not a valid template"),
    ],
)
def test_invalid_templates_are_reported_with_their_path(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "bad.yaml", text)
    with pytest.raises(FlightdeckError, match=message) as caught:
        load_template(path)
    assert str(path) in str(caught.value)


def test_missing_template_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FlightdeckError, match="cannot read template"):
        load_template(tmp_path / "nope.yaml")


@pytest.mark.parametrize("path", ["bootstrap/bootstrap.yaml", "apps/hello/template.yaml"])
def test_shipped_templates_load(path: str) -> None:
    template = load_template(INCLUDE / path)
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    assert json.loads(canonical_json(template)) == template


def test_canonical_json_is_sorted_and_compact() -> None:
    assert canonical_json({"b": 1, "a": {"d": [1, 2], "c": "é"}}) == '{"a":{"c":"é","d":[1,2]},"b":1}'
