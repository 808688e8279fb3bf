"""Tests of the human rendering of a plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from flightdeck.manifest import load_manifest
from flightdeck.plan import build_plan, describe, format_duration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HELLO_MANIFEST = FIXTURES / "manifests" / "hello.yaml"


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
    block = text.split("    dev/111111111111/eu-west-1\n")[1].split("  Tasks:\n", maxsplit=1)[0]
    assert block.splitlines() == [
        "      stack:          hello-dev",
        "      deploy role:    arn:aws:iam::111111111111:role/flightdeck-deploy (external id flightdeck-demo, "
        "sessions of 1h)",
        "      execution role: arn:aws:iam::111111111111:role/flightdeck-cfn-exec",
        "      artifacts:      s3://flightdeck-artifacts-111111111111-eu-west-1",
        "      tags:           flightdeck:application=hello, flightdeck:environment=dev",
        "      protection:     termination protection off",
        "      parameters:",
        "        AppVersion = release:version (set by the run)  [default]",
        "        Greeting   = ssm:/flightdeck/hello/greeting (Parameter Store, target account)  [default]",
        '        LogLevel   = "DEBUG"  [environment]',
    ]


def test_default_wave_and_approval_rules(text: str) -> None:
    assert "  Wave 1/1: all (2 targets; all at once; the first failure stops the environment; no bake time)\n" in text
    assert "  approval rules: passes by itself when every change set is empty; a timeout means reject\n" in text


def test_tasks_per_environment(text: str) -> None:
    prod = text.split("Environment 3/3: prod")[1].split("  Tasks:\n")[1].split("\n\n", maxsplit=1)[0]
    assert prod.splitlines() == [
        "    prod.prepare.package[prod/333333333333/eu-west-1]",
        "    prod.prepare.package[prod/333333333333/us-east-1]",
        "    prod.prepare.create_change_set[prod/333333333333/eu-west-1]",
        "    prod.prepare.create_change_set[prod/333333333333/us-east-1]",
        "    prod.approve",
        "    prod.deploy.execute_change_set[prod/333333333333/eu-west-1]",
        "    prod.deploy.execute_change_set[prod/333333333333/us-east-1]",
        "    prod.deploy.smoke_test[prod/333333333333/eu-west-1]",
        "    prod.deploy.smoke_test[prod/333333333333/us-east-1]",
        "    prod.wave_check",
    ]


def test_every_field_of_the_full_manifest() -> None:
    full = describe(build_plan(load_manifest(FIXTURES / "manifests" / "full.yaml")))
    assert "  refresh:      0 3 * * * (UTC) of dev, prod\n" in full
    assert "  approval rules: never approved automatically; a timeout means reject\n" in full
    assert "  Wave 1/2: canary (1 target; all at once; the first failure stops the environment; bake 30m)\n" in full
    assert "  Wave 2/2: rest (2 targets; 2 at a time; tolerates 10% failed; no bake time)\n" in full
    assert "      protection:     termination protection on\n" in full
    assert '      stack policy:   {"Statement":[{"Action":"Update:*",' in full
    assert "      notifications:  arn:aws:sns:us-east-1:333333333333:stack-events\n" in full
    assert (
        "      rollback:       on arn:aws:cloudwatch:us-east-1:333333333333:alarm:shop-5xx, watched for 30m after "
        "an update\n"
    ) in full
    assert (
        "        Greeting   = secretsmanager:shop/prod/greeting:text (Secrets Manager, target account; the value is "
        "never shown)  [environment]\n"
    ) in full
    assert '        LogLevel   = "WARNING"  [region]\n' in full
    assert "  Accounts selected from AWS Organizations when the release starts (they join wave rest):\n" in full
    assert (
        "  organizations: accounts selected through arn:aws:iam::999999999999:role/FlightdeckOrganizationsReader "
        "(external id shop-org)\n"
    ) in full
    assert "  Tasks:\n    select_accounts.prod\n    prod.canary.prepare.package" in full
    assert (
        "    accounts under /Root/Workloads/Prod, tagged shop=yes, except 999999999999; regions eu-central-1\n" in full
    )
    assert "      deploy role:    arn:aws:iam::{account_id}:role/flightdeck-deploy (external id shop-prod, " in full
    assert "    prod.rest.deploy.smoke_test[prod/{account_id}/eu-central-1]\n    prod.rest.wave_check\n" in full
    assert "    prod.canary.approve\n" in full


def test_smoke_tests(text: str) -> None:
    assert '  says-hello (lambda): invoke output FunctionName with {"name":"flightdeck"}\n' in text
    assert '    expect version == "{version}"\n' in text
    assert text.endswith("    outputs must exist: FunctionName, ApiMessage\n")


@pytest.mark.parametrize(("seconds", "text"), [(86400, "1d"), (7200, "2h"), (5400, "90m"), (61, "61s"), (172800, "2d")])
def test_format_duration(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text
