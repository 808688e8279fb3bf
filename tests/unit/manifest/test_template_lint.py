"""Tests of lint_template: cfn-lint errors as issues pointing into the template."""

from __future__ import annotations

from pathlib import Path

from manifest_samples import HELLO_TEMPLATE

from flightdeck.manifest.template_lint import lint_template

INVALID_PROPERTY = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Unused:
    Type: String
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicNam: alerts
"""


def test_error_points_at_the_template_node(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(INVALID_PROPERTY)
    [issue] = lint_template(path)  # the unused parameter is only a warning (W2001)
    assert (issue.file, issue.line, issue.column) == (str(path), 9, 7)
    assert issue.field == "Resources.Topic.Properties.TopicNam"
    assert issue.message.startswith(
        "cfn-lint E3002: Additional properties are not allowed ('TopicNam' was unexpected. Did you mean 'TopicName'?)"
    )
    assert str(issue).startswith(f"{path}:9:7: Resources.Topic.Properties.TopicNam: cfn-lint E3002: ")


def test_clean_template_has_no_issues() -> None:
    assert lint_template(HELLO_TEMPLATE) == []


def test_unparsable_template(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Resources: [\n")
    [issue] = lint_template(path)
    assert (issue.file, issue.line) == (str(path), 2)
    assert issue.message.startswith("cfn-lint E0000: ")
