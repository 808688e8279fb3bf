"""Tests of the human rendering of a plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightdeck.manifest import load_manifest
from flightdeck.plan import build_plan, describe, format_duration

HELLO_MANIFEST = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "hello.yaml"


@pytest.fixture(scope="module")
def text() -> str:
    return describe(build_plan(load_manifest(HELLO_MANIFEST)))


def test_header(text: str) -> None:
    assert text.startswith("Release plan for hello (DAG release__hello)\n  Example greeting service.\n")
    assert "  capabilities: CAPABILITY_IAM\n" in text


def test_environments_with_their_approval(text: str) -> None:
    assert "Environment 1/3: dev (1 target; no approval)" in text
    assert "Environment 3/3: prod (2 targets; approval by approver, timeout 1d)" in text


def test_target_details(text: str) -> None:
    block = text.split("  dev/111111111111/eu-west-1\n")[1].split("\n\n", maxsplit=1)[0]
    assert block.splitlines() == [
        "    stack:          hello-dev",
        "    deploy role:    arn:aws:iam::111111111111:role/flightdeck-deploy (external id flightdeck-demo)",
        "    execution role: arn:aws:iam::111111111111:role/flightdeck-cfn-exec",
        "    artifacts:      s3://flightdeck-artifacts-111111111111-eu-west-1",
        "    tags:           flightdeck:application=hello, flightdeck:environment=dev",
        "    parameters:",
        "      AppVersion = release:version (set by the run)  [default]",
        "      Greeting   = ssm:/flightdeck/hello/greeting (Parameter Store, target account)  [default]",
        '      LogLevel   = "DEBUG"  [environment]',
    ]


def test_smoke_tests(text: str) -> None:
    assert '  says-hello (lambda): invoke output FunctionName with {"name":"flightdeck"}\n' in text
    assert '    expect version == "{version}"\n' in text
    assert text.endswith("    outputs must exist: FunctionName, ApiMessage\n")


@pytest.mark.parametrize(("seconds", "text"), [(86400, "1d"), (7200, "2h"), (5400, "90m"), (61, "61s"), (172800, "2d")])
def test_format_duration(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text
