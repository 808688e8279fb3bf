"""Tests of the smoke tests of a manifest: the http and expectations kinds, and their teaching errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from manifest_samples import BASE

from flightdeck.errors import ManifestIssue
from flightdeck.manifest import ExpectationsSmokeTest, HttpSmokeTest, LambdaSmokeTest, Manifest, load_manifest

IssueOf = Callable[[str], ManifestIssue]
IssuesOf = Callable[[str], list[ManifestIssue]]

# BASE is 16 lines: smoke_tests is line 17, the test's keys start at line 19 (type), indented by 4.
HTTP = """\
smoke_tests:
  - name: health
    type: http
    url_output: ApiUrl
"""
EXPECTATIONS = """\
smoke_tests:
  - name: greeting-data
    type: expectations
    suite: suites/greeting.json
    data:
      from: lambda
      function_output: FunctionName
"""
SUITE = {
    "name": "greeting",
    "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "status", "value_set": ["ok"]}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "version"}},
    ],
}


@pytest.fixture(autouse=True)
def url_output_and_suite(write_manifest: Callable[..., Path]) -> Path:
    """The template gains an ApiUrl output; suites/greeting.json holds SUITE. Returns the manifest folder."""
    folder = write_manifest(BASE).parent
    with (folder / "template.yaml").open("a", encoding="utf-8") as template:
        template.write("  ApiUrl:\n    Value: https://example.com/\n")
    (folder / "suites").mkdir()
    (folder / "suites" / "greeting.json").write_text(json.dumps(SUITE, indent=2), encoding="utf-8")
    return folder


def load(write_manifest: Callable[..., Path], text: str) -> Manifest:
    return load_manifest(write_manifest(text))


def write_suite(folder: Path, text: str) -> None:
    (folder / "suites" / "greeting.json").write_text(text, encoding="utf-8")


# --- http


def test_http_defaults(write_manifest) -> None:
    [test] = load(write_manifest, BASE + HTTP).smoke_tests
    assert isinstance(test, HttpSmokeTest)
    assert (test.path, test.method, test.body, test.expect_status, test.expect_json) == ("", "GET", None, 200, {})
    assert (test.max_latency, test.max_latency_ms, test.timeout, test.timeout_ms) == (None, None, "10s", 10_000)


def test_http_every_field(write_manifest) -> None:
    text = (
        BASE
        + HTTP
        + (
            "    path: /items?limit=1\n"
            "    method: POST\n"
            "    body: {name: flightdeck}\n"
            "    expect_status: 201\n"
            '    expect_json: {"data.items[0].id": 7, status: ok, version: "{version}", "[0]": null}\n'
            "    max_latency: 500ms\n"
            "    timeout: 2s\n"
            "    outputs: [FunctionName]\n"
        )
    )
    [test] = load(write_manifest, text).smoke_tests
    assert (test.path, test.method, test.body, test.expect_status) == (
        "/items?limit=1",
        "POST",
        {"name": "flightdeck"},
        201,
    )
    assert test.expect_json == {"data.items[0].id": 7, "status": "ok", "version": "{version}", "[0]": None}
    assert (test.max_latency_ms, test.timeout_ms, test.outputs) == (500, 2000, ("FunctionName",))


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("    method: DELETE\n", "smoke_tests[0].method", "'DELETE' is not allowed here; use 'GET' or 'POST'"),
        ("    path: health\n", "smoke_tests[0].path", "path 'health' is not valid: it starts with /"),
        ("    path: /a b\n", "smoke_tests[0].path", "and has no spaces"),
        ("    expect_status: 99\n", "smoke_tests[0].expect_status", "99 is too small: the least allowed is 100"),
        ('    expect_status: "200"\n', "smoke_tests[0].expect_status", "expected a whole number, got text"),
        (
            "    max_latency: 2 s\n",
            "smoke_tests[0].max_latency",
            "duration '2 s' is not valid: write a whole number and a unit (ms, s or m), like 500ms or 2s",
        ),
        ("    timeout: 1h\n", "smoke_tests[0].timeout", "duration '1h' is not valid"),
        ("    timeout: 16m\n", "smoke_tests[0].timeout", "duration '16m' is too long: at most 15m"),
        (
            "    expect_json: {data..id: 1}\n",
            "smoke_tests[0].expect_json.data..id",
            "JSON path 'data..id' is not valid: write keys joined by dots, with [n] for list items, like "
            "data.items[0].id",
        ),
        (
            "    expect_json: {data.items: [1, 2]}\n",
            "smoke_tests[0].expect_json.data.items",
            "expect_json compares the value at a JSON path with a plain value (text, number, true/false, null), not "
            "a list: write one path per value, like data.items[0].id",
        ),
        (
            '    expect_json: {env: "{enviroment}"}\n',
            "smoke_tests[0].expect_json.env",
            "unknown placeholder {enviroment}; did you mean 'environment'?",
        ),
        ("    body: [1]\n", "smoke_tests[0].body", "expected a mapping (key: value lines), got a list"),
        ("    expect_jsn: {}\n", "smoke_tests[0].expect_jsn", "unknown key 'expect_jsn'; did you mean 'expect_json'?"),
    ],
)
def test_http_field_errors(issue_of: IssueOf, line: str, field: str, message: str) -> None:
    issue = issue_of(BASE + HTTP + line)
    assert (issue.line, issue.field) == (21, field)
    assert message in issue.message


def test_http_get_has_no_body(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + HTTP + "    body: {a: 1}\n")
    assert (issue.line, issue.column, issue.field) == (21, 11, "smoke_tests[0].body")
    assert issue.message == "a GET request has no body: set method: POST to send one, or remove body"


def test_http_latency_limit_within_the_timeout(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + HTTP + "    max_latency: 20s\n")
    assert (issue.line, issue.field) == (21, "smoke_tests[0].max_latency")
    assert issue.message == (
        "max_latency 20s is longer than timeout 10s, so the request would give up first: raise timeout, or lower "
        "max_latency"
    )


def test_http_url_output_must_be_declared(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + HTTP.replace("url_output: ApiUrl", "url_output: ApiUrll"))
    assert (issue.line, issue.column, issue.field) == (20, 17, "smoke_tests[0].url_output")
    assert issue.message == (
        "output 'ApiUrll' is not declared in the template's Outputs (template.yaml); did you mean 'ApiUrl'?"
    )


def test_undeclared_output_without_a_close_one_lists_the_declared(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + HTTP.replace("url_output: ApiUrl", "url_output: Endpoint"))
    assert issue.message.endswith("; it declares ApiMessage, ApiUrl, FunctionArn, FunctionName")


# --- expectations


def test_expectations_fields(write_manifest) -> None:
    text = BASE + EXPECTATIONS + "      payload: {name: x}\n      records: data.rows\n    outputs: [ApiMessage]\n"
    [test] = load(write_manifest, text).smoke_tests
    assert isinstance(test, ExpectationsSmokeTest)
    assert (test.suite, test.data.source, test.data.function_output) == (
        "suites/greeting.json",
        "lambda",
        "FunctionName",
    )
    assert (test.data.payload, test.data.records, test.outputs) == ({"name": "x"}, "data.rows", ("ApiMessage",))
    assert json.loads(test.suite_json) == {
        "name": "greeting",
        "expectations": [{**item} for item in SUITE["expectations"]],
    }


def test_suite_json_is_canonical_and_leaves_out_what_great_expectations_generates(
    write_manifest, url_output_and_suite: Path
) -> None:
    saved = {
        "id": "6f1c",
        "name": "greeting",
        "meta": {"great_expectations_version": "1.24.1"},
        "expectations": [{**SUITE["expectations"][0], "id": "a1", "rendered_content": [], "meta": {"why": "x"}}],
    }
    write_suite(url_output_and_suite, json.dumps(saved))
    [test] = load(write_manifest, BASE + EXPECTATIONS).smoke_tests
    assert test.suite_json == (
        '{"expectations":[{"kwargs":{"column":"status","value_set":["ok"]},"meta":{"why":"x"},'
        '"type":"expect_column_values_to_be_in_set"}],"meta":{"great_expectations_version":"1.24.1"},'
        '"name":"greeting"}'
    )


def test_a_suite_without_a_name_is_named_after_its_file(write_manifest, url_output_and_suite: Path) -> None:
    write_suite(url_output_and_suite, json.dumps({"expectations": SUITE["expectations"]}))
    [test] = load(write_manifest, BASE + EXPECTATIONS).smoke_tests
    assert json.loads(test.suite_json)["name"] == "greeting"


def test_missing_suite_file_points_at_suite(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + EXPECTATIONS.replace("suites/greeting.json", "suites/nope.json"))
    assert (issue.line, issue.column, issue.field) == (20, 12, "smoke_tests[0].suite")
    assert issue.message.startswith("suite file 'suites/nope.json' cannot be read (")
    assert issue.message.endswith(
        "nope.json: No such file or directory); the path is relative to the folder of the manifest"
    )


@pytest.mark.parametrize(
    ("suite", "message"),
    [
        ('{"name": "x",\n "expectations": [}', "is not valid JSON: Expecting value at line 2, column 19"),
        ("[]", "is a list; a suite is a JSON object like {"),
        ('{"name": "x", "expectations": []}', "has no expectations: list at least one, like {"),
        ('{"name": "", "expectations": [{"type": "expect_x"}]}', ": name must be non-empty text"),
        (
            '{"expectation_suite_name": "x", "expectations": []}',
            ": 'expectation_suite_name' is how Great Expectations 0.x wrote it; this is 1.x: write 'name'",
        ),
        (
            '{"name": "x", "expectations": [{"expectation_type": "expect_x", "kwargs": {}}]}',
            ", expectations[0]: 'expectation_type' is how Great Expectations 0.x wrote it; this is 1.x: write 'type'",
        ),
        (
            '{"name": "x", "expectations": [{"type": "expect_x", "kwarg": {}}]}',
            ", expectations[0]: unknown key 'kwarg'; did you mean 'kwargs'?",
        ),
        (
            '{"name": "x", "expectations": [{"kwargs": {}}]}',
            ", expectations[0]: type is missing; write the expectation's name, like expect_column_values_to_not_be",
        ),
        ('{"name": "x", "expectations": [{"type": "column_ok"}]}', ", expectations[0]: type is 'column_ok'; write"),
        (
            '{"name": "x", "expectations": [{"type": "expect_x", "kwargs": []}]}',
            ", expectations[0] (expect_x): kwargs must be an object of the expectation's arguments",
        ),
        ('{"name": "x", "expectations": [3]}', ", expectations[0] is a number; an expectation is an object with type"),
        ('{"name": "x", "owner": 1, "expectations": []}', ": unknown key 'owner'; valid keys here: expectations, id"),
        (
            '{"name": "x", "expectations": [{"type": "expect_x", "kwargs": {"min_value": NaN}}]}',
            " must be plain JSON (Out of range float values are not JSON compliant",
        ),
    ],
)
def test_suite_file_errors(issue_of: IssueOf, url_output_and_suite: Path, suite: str, message: str) -> None:
    write_suite(url_output_and_suite, suite)
    issue = issue_of(BASE + EXPECTATIONS)
    assert (issue.line, issue.field) == (20, "smoke_tests[0].suite")
    assert issue.message.startswith("suite file 'suites/greeting.json'")
    assert message in issue.message


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("      from: dynamodb\n", "smoke_tests[0].data.from", "'dynamodb' is not allowed here; use 'lambda'"),
        ("      records: rows[\n", "smoke_tests[0].data.records", "JSON path 'rows[' is not valid"),
        ("      recods: rows\n", "smoke_tests[0].data.recods", "unknown key 'recods'; did you mean 'records'?"),
        ("      payload: {at: 2024-01-01}\n", "smoke_tests[0].data.payload", "payload must be plain JSON"),
    ],
)
def test_data_source_errors(issue_of: IssueOf, line: str, field: str, message: str) -> None:
    text = BASE + EXPECTATIONS.replace("      from: lambda\n", "") + line
    if "from:" not in line:
        text += "      from: lambda\n"
    issue = issue_of(text)
    assert issue.field == field
    assert message in issue.message


def test_unknown_key_of_the_data_source_lists_from_not_its_python_name(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + EXPECTATIONS + "      zzz: 1\n")
    assert issue.message == "unknown key 'zzz'; valid keys here: from, function_output, payload, records"


def test_data_source_must_say_where_rows_come_from(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + EXPECTATIONS.replace("      from: lambda\n", ""))
    assert (issue.line, issue.field) == (22, "smoke_tests[0].data.from")
    assert issue.message == "required key 'from' is missing; add `from: ...` here"


def test_expectations_function_output_must_be_declared(issue_of: IssueOf) -> None:
    issue = issue_of(BASE + EXPECTATIONS.replace("function_output: FunctionName", "function_output: FunctionNme"))
    assert (issue.line, issue.field) == (23, "smoke_tests[0].data.function_output")
    assert "did you mean 'FunctionName'?" in issue.message


def test_every_kind_in_one_manifest_keeps_its_order(write_manifest) -> None:
    lambda_test = "  - {name: says-hello, type: lambda, function_output: FunctionName}\n"
    text = BASE + HTTP + EXPECTATIONS.removeprefix("smoke_tests:\n") + lambda_test
    tests = load(write_manifest, text).smoke_tests
    assert [type(test) for test in tests] == [HttpSmokeTest, ExpectationsSmokeTest, LambdaSmokeTest]


def test_smoke_test_names_are_unique_across_kinds(issue_of: IssueOf) -> None:
    text = BASE + HTTP + "  - {name: health, type: lambda, function_output: FunctionName}\n"
    issue = issue_of(text)
    assert issue.field == "smoke_tests[1]"
    assert "duplicate smoke test name 'health'" in issue.message


# --- rollback


def test_rollback_defaults(write_manifest) -> None:
    manifest = load(write_manifest, BASE)
    rules = manifest.rollback_for(manifest.environments[0])
    assert (rules.on_smoke_failure, rules.delete_created_stacks) == (True, False)


def test_environment_rollback_replaces_the_top_level_key_by_key(write_manifest) -> None:
    text = BASE + "    rollback: {delete_created_stacks: true}\nrollback: {on_smoke_failure: false}\n"
    manifest = load(write_manifest, text)
    rules = manifest.rollback_for(manifest.environments[0])
    assert (rules.on_smoke_failure, rules.delete_created_stacks) == (False, True)
    assert manifest.rollback.delete_created_stacks is False


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("rollback: {on_smoke_failure: 'no'}\n", "rollback.on_smoke_failure", "expected true or false, got text"),
        ("rollback: {delete_stacks: true}\n", "rollback.delete_stacks", "did you mean 'delete_created_stacks'?"),
        ("    rollback: true\n", "environments[0].rollback", "expected a mapping (key: value lines), got true/false"),
    ],
)
def test_rollback_errors(issue_of: IssueOf, text: str, field: str, message: str) -> None:
    issue = issue_of(BASE + text)
    assert issue.field == field
    assert message in issue.message
