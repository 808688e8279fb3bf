"""Tests of manifest validation: every issue points at its YAML node and says how to fix it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from manifest_samples import BASE, replace

from flightdeck.errors import ManifestIssue

IssueOf = Callable[[str], ManifestIssue]
IssuesOf = Callable[[str], list[ManifestIssue]]


def test_account_id_written_as_a_number(issue_of: IssueOf) -> None:
    issue = issue_of(replace('id: "111111111111"', "id: 111111111111"))
    assert (issue.line, issue.column, issue.field) == (15, 13, "environments[0].accounts[0].id")
    assert "YAML reads the unquoted account id 111111111111 as a number" in issue.message
    assert 'quote it, id: "111111111111"' in issue.message


def test_account_id_with_leading_zero_read_as_octal(issue_of: IssueOf) -> None:
    issue = issue_of(replace('id: "111111111111"', "id: 012345670123"))
    assert issue.field == "environments[0].accounts[0].id"
    assert "as the number 1402433619" in issue.message
    assert "octal" in issue.message
    assert 'id: "012345670123"' in issue.message


def test_account_id_of_wrong_length(issue_of: IssueOf) -> None:
    issue = issue_of(replace('id: "111111111111"', 'id: "11111111111"'))
    assert "exactly 12 digits" in issue.message


def test_unknown_top_level_key_suggests_the_closest(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + "smoke_test: []\n")
    assert (issue.line, issue.column, issue.field) == (17, 1, "smoke_test")
    assert "unknown key 'smoke_test'; did you mean 'smoke_tests'?" in issue.message


def test_unknown_nested_key_points_at_the_key(issue_of: IssueOf) -> None:
    issue = issue_of(replace("        regions: [eu-west-1]\n", "        regions: [eu-west-1]\n        region: x\n"))
    assert (issue.line, issue.column, issue.field) == (17, 9, "environments[0].accounts[0].region")
    assert "did you mean 'regions'?" in issue.message


def test_unknown_key_without_close_match_lists_the_valid_keys(issue_of: IssueOf) -> None:
    issue = issue_of(replace("  external_id: flightdeck-demo\n", "  external_id: flightdeck-demo\n  zzz: 1\n"))
    assert issue.field == "deploy_role.zzz"
    assert "valid keys here: execution_role, external_id, name" in issue.message


def test_x_keys_at_the_top_level_are_ignored(write_manifest) -> None:
    from flightdeck.manifest import load_manifest

    manifest = load_manifest(write_manifest("x-defaults: &defaults {LogLevel: INFO}\n" + BASE))
    assert manifest.application == "hello"


@pytest.mark.parametrize(
    ("region", "hint"),
    [
        ("eu-west-9", "did you mean"),
        ("euwest1", "did you mean 'eu-west-1'?"),
        ("mars-1", "write a region code like eu-west-1"),
        ("cn-north-1", "outside the commercial AWS partition"),
    ],
)
def test_invalid_region(issue_of: IssueOf, region: str, hint: str) -> None:
    issue = issue_of(replace("regions: [eu-west-1]", f"regions: [eu-west-1, {region}]"))
    assert (issue.line, issue.field) == (16, "environments[0].accounts[0].regions[1]")
    assert hint in issue.message


def test_duplicate_region(issue_of: IssueOf) -> None:
    issue = issue_of(replace("regions: [eu-west-1]", "regions: [eu-west-1, eu-west-1]"))
    assert issue.field == "environments[0].accounts[0].regions[1]"
    assert "duplicate region 'eu-west-1'" in issue.message


def test_regions_must_be_a_list(issue_of: IssueOf) -> None:
    issue = issue_of(replace("regions: [eu-west-1]", "regions: eu-west-1"))
    assert "expected a list" in issue.message


def test_duplicate_environment_names(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + '  - name: dev\n    accounts:\n      - id: "222222222222"\n        regions: [eu-west-1]\n')
    assert (issue.line, issue.field) == (17, "environments[1]")
    assert "duplicate environment name 'dev'" in issue.message


def test_approval_required_without_approvers(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + "    approval: {required: true}\n")
    assert issue.field == "environments[0].approval.required"
    assert "list Airflow user names in approvers" in issue.message


def test_approval_required_with_empty_approvers(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + "    approval:\n      required: true\n      approvers: []\n")
    assert (issue.line, issue.field) == (19, "environments[0].approval.approvers")


@pytest.mark.parametrize("timeout", ["24", "1w", "0h", "-1h", "1.5h"])
def test_approval_timeout_must_be_a_duration(issue_of: IssueOf, timeout: str) -> None:
    issue = issue_of(BASE + f'    approval: {{required: true, approvers: [a], timeout: "{timeout}"}}\n')
    assert issue.field == "environments[0].approval.timeout"
    assert "like 30m, 24h or 7d" in issue.message


def test_template_file_missing(issue_of: IssueOf) -> None:
    issue = issue_of(replace("template: template.yaml", "template: ../nowhere/template.yaml"))
    assert (issue.line, issue.column, issue.field) == (3, 11, "template")
    assert "not found" in issue.message
    assert "relative to the folder of the manifest" in issue.message


def test_yaml_syntax_error_has_a_line(issue_of: IssueOf) -> None:
    issue = issue_of(replace("regions: [eu-west-1]", "regions: [eu-west-1"))
    assert issue.line == 17
    assert issue.message.startswith("YAML syntax error")


def test_missing_required_field_points_at_its_mapping(issue_of: IssueOf) -> None:
    issue = issue_of(replace("        regions: [eu-west-1]\n", ""))
    assert (issue.line, issue.column, issue.field) == (15, 9, "environments[0].accounts[0].regions")
    assert "required key 'regions' is missing" in issue.message


def test_missing_top_level_field(issue_of: IssueOf) -> None:
    issue = issue_of(replace("application: hello\n", ""))
    assert (issue.line, issue.field) == (1, "application")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"ssm:"', "not a Parameter Store reference"),
        ('"ssm:/a b"', "not a Parameter Store reference"),
        ("release:foo", "'release:foo' is not a release value (use release:version or release:run_id)"),
        ("release:versoin", "did you mean 'version'?"),
        ("", "cannot be empty (null)"),
        ("[a, b]", "not a list"),
        ("2024-01-01", "not a date"),
    ],
)
def test_bad_parameter_values(issue_of: IssueOf, value: str, message: str) -> None:
    issue = issue_of(replace("  LogLevel: INFO\n", f"  LogLevel: {value}\n"))
    assert (issue.line, issue.field) == (10, "parameters.LogLevel")
    assert message in issue.message


def test_parameter_name_must_be_a_cloudformation_name(issue_of: IssueOf) -> None:
    issue = issue_of(replace("  LogLevel: INFO\n", "  LogLevel: INFO\n  log-level: INFO\n"))
    assert (issue.line, issue.column, issue.field) == (11, 3, "parameters.log-level")
    assert "letters and digits only" in issue.message


def test_number_where_text_is_expected_says_to_quote(issue_of: IssueOf) -> None:
    issue = issue_of(replace("application: hello\n", "application: hello\ndescription: 1.10\n"))
    assert issue.field == "description"
    assert 'YAML reads the unquoted 1.10 as a number; quote it: "1.10"' in issue.message


def test_unsupported_version(issue_of: IssueOf) -> None:
    issue = issue_of(replace("version: 1", "version: 2"))
    assert "this Flightdeck reads version: 1" in issue.message


@pytest.mark.parametrize(
    ("stack_name", "message"),
    [
        (
            "{application}-{enviroment}",
            "unknown placeholder {enviroment} in stack_name; did you mean 'environment'?",
        ),
        ("{application}_{environment}", "may only add letters, digits and hyphens"),
        ("{application}-{environment:>5}", "must be a plain name"),
    ],
)
def test_bad_stack_name_template(issue_of: IssueOf, stack_name: str, message: str) -> None:
    issue = issue_of(BASE + f'stack_name: "{stack_name}"\n')
    assert issue.field == "stack_name"
    assert message in issue.message


def test_role_arn_must_name_the_target_account(issue_of: IssueOf) -> None:
    issue = issue_of(replace("name: flightdeck-deploy", "name: arn:aws:iam::123456789012:role/deploy"))
    assert issue.field == "deploy_role.name"
    assert "{account_id}" in issue.message


def test_unknown_capability(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + "capabilities: [CAPABILITY_IAM, CAPABILITY_ADMIN]\n")
    assert issue.field == "capabilities[1]"
    assert "CAPABILITY_NAMED_IAM" in issue.message


SMOKE = """\
smoke_tests:
  - name: says-hello
    type: lambda
    function_output: FunctionName
"""


def test_unknown_smoke_test_type_points_at_type(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + SMOKE.replace("type: lambda", "type: grpc"))
    assert (issue.line, issue.column, issue.field) == (19, 11, "smoke_tests[0].type")
    assert "unknown type 'grpc'; supported: 'lambda', 'http', 'expectations'" in issue.message


def test_unknown_key_in_a_smoke_test(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + SMOKE + "    payloads: {}\n")
    assert issue.field == "smoke_tests[0].payloads"
    assert "did you mean 'payload'?" in issue.message


def test_expect_placeholder_must_be_known(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + SMOKE + '    expect: {region: "{regoin}"}\n')
    assert issue.field == "smoke_tests[0].expect.region"
    assert "unknown placeholder {regoin}; did you mean 'region'?" in issue.message


def test_payload_must_be_json(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + SMOKE + "    payload: {when: 2024-01-01}\n")
    assert issue.field == "smoke_tests[0].payload"
    assert "payload must be plain JSON" in issue.message


def test_all_issues_are_collected_and_sorted(issues_of: IssuesOf) -> None:
    text = replace('id: "111111111111"', "id: 111111111111").replace("version: 1", "version: 1\nbogus: 1")
    text = text.replace("regions: [eu-west-1]", "regions: [eu-west-9]")
    issues = issues_of(text)
    assert [issue.field for issue in issues] == [
        "bogus",
        "environments[0].accounts[0].id",
        "environments[0].accounts[0].regions[0]",
    ]


def test_yaml_reading_issues_come_with_validation_issues(issues_of: IssuesOf) -> None:
    text = BASE.replace("application: hello\n", "application: hello\napplication: hello\n") + "bogus: 1\n"
    issues = issues_of(text)
    assert [issue.field for issue in issues] == ["application", "bogus"]
    assert "duplicate key" in issues[0].message


def test_issue_renders_file_line_column_field(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + "smoke_test: []\n")
    assert str(issue).endswith(":17:1: smoke_test: " + issue.message)


def test_empty_list_where_one_entry_is_needed(issue_of: IssueOf) -> None:
    issue = issue_of(replace("regions: [eu-west-1]", "regions: []"))
    assert issue.field == "environments[0].accounts[0].regions"
    assert issue.message == "must not be empty: list at least one entry"


def test_empty_expect_field_name(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + SMOKE + '    expect: {"": ok}\n')
    assert issue.field == "smoke_tests[0].expect."
    assert issue.message == "must not be empty"


def with_top_level(line: str) -> str:
    """BASE with the top-level key of ``line`` (and its indented block) replaced by ``line``."""
    key = line.split(":", maxsplit=1)[0]
    rows, skipping = [], False
    for row in BASE.splitlines():
        if skipping and row.startswith(" "):
            continue
        skipping = row.startswith(f"{key}:")
        rows.append(line if skipping else row)
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("deploy_role: flightdeck-deploy", "expected a mapping (key: value lines), got text"),
        ("environments: dev", "expected a list (lines starting with '- ', or [a, b]), got text"),
        ("application:", "expected text, got an empty value (null)"),
        ("version: '1'", "'1' is not allowed here; use 1"),
    ],
)
def test_wrong_shapes(issue_of: IssueOf, line: str, message: str) -> None:
    issue = issue_of(with_top_level(line))
    assert issue.field == line.split(":", maxsplit=1)[0]
    assert message in issue.message
