"""Tests of the cross checks: stack names, deploy roles, and the manifest against its template."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from manifest_samples import BASE, replace

from flightdeck.errors import ManifestError, ManifestIssue
from flightdeck.manifest import load_manifest

IssueOf = Callable[[str], ManifestIssue]
IssuesOf = Callable[[str], list[ManifestIssue]]

STAGING_SAME_ACCOUNT = """\
  - name: staging
    accounts:
      - id: "111111111111"
        regions: [eu-west-1]
"""


def test_default_stack_name_keeps_environments_apart(write_manifest) -> None:
    manifest = load_manifest(write_manifest(BASE + STAGING_SAME_ACCOUNT))
    assert [env.name for env in manifest.environments] == ["dev", "staging"]


def test_two_environments_resolving_to_one_stack(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + STAGING_SAME_ACCOUNT + 'stack_name: "{application}-{region}"\n')
    assert (issue.line, issue.column, issue.field) == (20, 19, "environments[1].accounts[0].regions[0]")
    assert "stack 'hello-eu-west-1' in 111111111111/eu-west-1 is already the target of" in issue.message
    assert "environments[0].accounts[0].regions[0] (environment dev)" in issue.message
    assert "put {environment} in stack_name" in issue.message


def test_same_account_twice_in_one_environment(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + '      - id: "111111111111"\n        regions: [us-east-1, eu-west-1]\n')
    assert issue.field == "environments[0].accounts[1].regions[1]"
    assert "account 111111111111 is listed twice in environment dev" in issue.message


def test_stack_name_too_long(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + f'stack_name: "{{application}}-{"x" * 130}"\n')
    assert issue.field == "stack_name"
    assert "at most 128 characters" in issue.message


def test_stack_name_starting_with_a_digit(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + 'stack_name: "{account_id}-{application}"\n')
    assert issue.field == "stack_name"
    assert "'111111111111-hello' is not valid" in issue.message


def test_environment_without_any_deploy_role(issue_of: IssueOf) -> None:
    text = replace(
        "deploy_role:\n  name: flightdeck-deploy\n  execution_role: flightdeck-cfn-exec\n"
        "  external_id: flightdeck-demo\n",
        "",
    )
    issue = issue_of(text)
    assert issue.field == "environments[0].name"
    assert "environment dev has no deploy_role" in issue.message


def test_environment_deploy_role_replaces_the_default(write_manifest) -> None:
    text = (
        replace(
            "deploy_role:\n  name: flightdeck-deploy\n  execution_role: flightdeck-cfn-exec\n"
            "  external_id: flightdeck-demo\n",
            "",
        )
        + "    deploy_role: {name: d, execution_role: e, external_id: xx}\n"
    )
    manifest = load_manifest(write_manifest(text))
    assert manifest.deploy_role_for(manifest.environments[0]).name == "d"


def test_required_template_parameter_supplied_nowhere(issue_of: IssueOf) -> None:
    issue = issue_of(replace("  Greeting: ssm:/flightdeck/hello/greeting\n", ""))
    assert (issue.line, issue.column, issue.field) == (8, 1, "parameters")
    assert "template parameter Greeting has no Default and no value" in issue.message


def test_required_template_parameter_missing_for_one_account(issue_of: IssueOf) -> None:
    text = replace("  Greeting: ssm:/flightdeck/hello/greeting\n", "")
    text = text.replace("regions: [eu-west-1]\n", "regions: [eu-west-1]\n        parameters: {Greeting: hi}\n")
    text += '      - id: "222222222222"\n        regions: [eu-west-1]\n'
    issue = issue_of(text)
    assert (issue.line, issue.field) == (17, "environments[0].accounts[1].id")
    assert "no value for environment dev, account 222222222222" in issue.message


def test_environment_layer_supplies_a_required_parameter(write_manifest) -> None:
    text = replace("  Greeting: ssm:/flightdeck/hello/greeting\n", "")
    text = text.replace("  - name: dev\n", "  - name: dev\n    parameters: {Greeting: hi}\n")
    assert load_manifest(write_manifest(text)).environments[0].parameters["Greeting"].value == "hi"


def test_manifest_parameter_the_template_does_not_declare(issue_of: IssueOf) -> None:
    issue = issue_of(replace("  LogLevel: INFO\n", "  LogLevel: INFO\n  LogLevle: INFO\n"))
    assert (issue.line, issue.column, issue.field) == (11, 3, "parameters.LogLevle")
    assert "not declared in the template's Parameters (template.yaml)" in issue.message
    assert "did you mean 'LogLevel'?" in issue.message


def test_undeclared_parameter_in_an_account_layer(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + "        parameters: {Colour: blue}\n")
    assert issue.field == "environments[0].accounts[0].parameters.Colour"


def test_smoke_test_outputs_must_be_declared(issues_of: IssuesOf) -> None:
    smoke = (
        "smoke_tests:\n  - name: a\n    type: lambda\n    function_output: FunctionNam\n"
        "    outputs: [ApiMessage, Nope]\n"
    )
    issues = issues_of(BASE + smoke)
    assert [issue.field for issue in issues] == [
        "smoke_tests[0].function_output",
        "smoke_tests[0].outputs[1]",
    ]
    assert "did you mean 'FunctionName'?" in issues[0].message


def test_template_syntax_error_points_into_the_template(write_manifest) -> None:
    path = write_manifest(BASE)
    (path.parent / "template.yaml").write_text("Parameters:\n  A: [\n")
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    [issue] = info.value.issues
    assert (issue.file, issue.line) == (str(path.parent / "template.yaml"), 3)
    assert "template is not valid YAML" in issue.message


def test_json_template_is_checked_too(write_manifest) -> None:
    path = write_manifest(replace("template: template.yaml", "template: template.json"))
    template = {"Parameters": {"Greeting": {"Type": "String"}}, "Resources": {}}
    Path(path.parent / "template.json").write_text(json.dumps(template))
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert [issue.field for issue in info.value.issues] == ["parameters.LogLevel", "parameters.AppVersion"]
