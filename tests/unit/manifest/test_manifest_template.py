"""Tests of flightdeck.manifest.template: reading Parameters and Outputs of CloudFormation templates."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifest_samples import FIXTURES, HELLO_TEMPLATE

from flightdeck.errors import ManifestError
from flightdeck.manifest.template import CloudFormationLoader, read_template


def test_yaml_template_with_short_form_tags() -> None:
    info = read_template(HELLO_TEMPLATE)
    assert info.parameters == {"Greeting", "LogLevel", "AppVersion", "Suffix"}
    assert info.required == {"Greeting", "LogLevel", "AppVersion"}
    assert info.outputs == {"FunctionName", "FunctionArn", "ApiMessage"}


def test_json_template() -> None:
    info = read_template(FIXTURES / "apps" / "json" / "template.json")
    assert info.parameters == {"BucketSuffix", "Retention"}
    assert info.required == {"BucketSuffix"}
    assert info.outputs == {"BucketName"}


def test_short_forms_become_long_forms() -> None:
    import yaml

    text = 'A: !Ref X\nB: !GetAtt Fn.Arn\nC: !Sub ["${A}", {A: !Ref Y}]\nD: !If [C, !Ref AWS::NoValue, 1]\n'
    assert yaml.load(text, Loader=CloudFormationLoader) == {
        "A": {"Ref": "X"},
        "B": {"Fn::GetAtt": ["Fn", "Arn"]},
        "C": {"Fn::Sub": ["${A}", {"A": {"Ref": "Y"}}]},
        "D": {"Fn::If": ["C", {"Ref": "AWS::NoValue"}, 1]},
    }


def test_short_forms_do_not_leak_into_safe_loader() -> None:
    import yaml

    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.safe_load("A: !Ref X\n")


def test_template_without_parameters(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
    info = read_template(path)
    assert (info.parameters, info.required, info.outputs) == (frozenset(), frozenset(), frozenset())


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Parameters:\n  A: [\n", 3, "template is not valid YAML"),
        ('{\n  "Parameters": {,}\n}\n', 2, "template is not valid JSON"),
        ("- just\n- a list\n", 1, "a CloudFormation template is a mapping"),
        ("Parameters: [A, B]\n", 0, "Parameters must be a mapping"),
    ],
)
def test_unreadable_templates(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ManifestError) as info:
        read_template(path)
    [issue] = info.value.issues
    assert (issue.file, issue.line) == (str(path), line)
    assert message in issue.message


def test_missing_template_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read template"):
        read_template(tmp_path / "missing.yaml")
