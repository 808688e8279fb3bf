"""Tests of parameter values: literals, ssm:, secretsmanager: and release: references with placeholders."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from manifest_samples import replace

from flightdeck.errors import ManifestIssue
from flightdeck.manifest import ParameterValue, load_manifest

IssueOf = Callable[[str], ManifestIssue]


def with_log_level(value: str) -> str:
    return replace("  LogLevel: INFO\n", f"  LogLevel: {value}\n")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", ParameterValue(kind="literal", value="true")),
        ("false", ParameterValue(kind="literal", value="false")),
        ("'{not a placeholder}'", ParameterValue(kind="literal", value="{not a placeholder}")),
        (
            '"ssm:/app/{environment}/{region}/level"',
            ParameterValue(kind="ssm", value="/app/{environment}/{region}/level"),
        ),
        ("secretsmanager:app/db", ParameterValue(kind="secretsmanager", value="app/db")),
        (
            '"secretsmanager:{application}/{account_id}:password"',
            ParameterValue(kind="secretsmanager", value="{application}/{account_id}:password"),
        ),
        ("release:run_id", ParameterValue(kind="release", value="run_id")),
    ],
)
def test_parameter_values(write_manifest, value: str, expected: ParameterValue) -> None:
    assert load_manifest(write_manifest(with_log_level(value))).parameters["LogLevel"] == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            '"ssm:/app/{enviroment}/level"',
            "unknown placeholder {enviroment}; did you mean 'environment'? (allowed: {application}, ",
        ),
        ('"ssm:/app/{region"', "'/app/{region': expected '}' before end of string"),
        ('"ssm:/app/{region}x{"', "Single '{' encountered in format string"),
        (
            '"secretsmanager:"',
            "'secretsmanager:' is not a Secrets Manager reference: write secretsmanager:<secret name>",
        ),
        ("secretsmanager:a b", "is not a Secrets Manager reference"),
        ("secretsmanager:db:key:extra", "is not a Secrets Manager reference"),
        (
            "secretsmanager:arn:aws:secretsmanager:eu-west-1:111111111111:secret:db",
            "(a name of letters, digits and /_+=.@-, not an ARN)",
        ),
        ('"secretsmanager:{acount_id}/db"', "unknown placeholder {acount_id}; did you mean 'account_id'?"),
    ],
)
def test_bad_references(issue_of: IssueOf, value: str, message: str) -> None:
    issue = issue_of(with_log_level(value))
    assert (issue.line, issue.column, issue.field) == (10, 13, "parameters.LogLevel")
    assert message in issue.message


def test_secret_values_never_appear_only_references(write_manifest) -> None:
    manifest = load_manifest(write_manifest(with_log_level("secretsmanager:app/db:password")))
    assert manifest.parameters["LogLevel"].model_dump() == {"kind": "secretsmanager", "value": "app/db:password"}
