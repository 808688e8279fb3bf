"""The example manifest's smoke checks (lambda and Great Expectations) against the hello function in the local AWS."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_helpers import DEV, REGION, HelloTarget

from flightdeck.aws.cloudformation import execute_change_set
from flightdeck.manifest import load_manifest
from flightdeck.plan import ExpectationsCheck, HttpCheck, LambdaCheck, build_plan
from flightdeck.smoke import run_checks

pytestmark = pytest.mark.integration

HELLO_MANIFEST = Path(__file__).resolve().parents[3] / "include" / "manifests" / "hello.yaml"
DEV_PLACEHOLDERS = {"environment": "dev", "account_id": DEV, "region": REGION, "version": "1.0.0"}


@pytest.fixture
def deployed(hello: HelloTarget) -> dict[str, str]:
    """Version 1.0.0 of hello deployed to dev; its stack outputs."""
    change_set = hello.change_set("1.0.0", "release-1")
    return execute_change_set(hello.session, stack_name=hello.stack_name, change_set_id=change_set.id).outputs


def test_the_example_checks_pass_on_the_deployed_function(hello: HelloTarget, deployed: dict[str, str]) -> None:
    checks = build_plan(load_manifest(HELLO_MANIFEST)).smoke_checks
    assert [type(check) for check in checks] == [LambdaCheck, HttpCheck, ExpectationsCheck]

    says_hello, api, greeting = run_checks(hello.session, deployed, checks, DEV_PLACEHOLDERS)

    assert (says_hello["check"], says_hello["passed"], says_hello["problems"]) == ("says-hello", True, [])
    # The function's URL (served by the local AWS like AWS serves Lambda function URLs) answers over HTTP.
    assert (api["check"], api["kind"], api["passed"], api["problems"]) == ("api-answers", "http", True, [])
    assert api["details"]["status_code"] == 200
    assert (greeting["check"], greeting["kind"], greeting["passed"], greeting["problems"]) == (
        "greeting-data",
        "expectations",
        True,
        [],
    )
    assert (greeting["details"]["function"], greeting["details"]["rows"]) == (deployed["FunctionName"], 1)
    assert greeting["details"]["suite"] == "greeting"
    assert all(result["success"] for result in greeting["details"]["expectations"])
    assert {result.get("unexpected_count") for result in greeting["details"]["expectations"]} <= {0, None}


def test_a_release_answering_for_another_environment_fails_both(hello: HelloTarget, deployed: dict[str, str]) -> None:
    checks = build_plan(load_manifest(HELLO_MANIFEST)).smoke_checks
    placeholders = {**DEV_PLACEHOLDERS, "environment": "prod"}

    says_hello, api, greeting = run_checks(hello.session, deployed, checks, placeholders)

    assert says_hello["problems"] == ["field 'environment' is 'dev', expected 'prod'"]
    assert len(api["problems"]) == 1
    assert "environment" in api["problems"][0]
    assert "'dev'" in api["problems"][0]
    assert greeting["problems"] == [
        "expect_column_values_to_be_in_set (environment): 1 of 1 rows unexpected, e.g. ['dev']",
        "expect_column_values_to_match_regex (message): 1 of 1 rows unexpected, e.g. ['Hello from dev, flightdeck']",
    ]
    failed = {
        result["column"]: result["unexpected_count"]
        for result in greeting["details"]["expectations"]
        if not result["success"]
    }
    assert failed == {"environment": 1, "message": 1}
    assert greeting["passed"] is False


def test_a_missing_function_is_a_failed_check_not_an_error(hello: HelloTarget, deployed: dict[str, str]) -> None:
    outputs = {**deployed, "FunctionName": "hello-dev-gone"}
    says_hello, api, greeting = run_checks(
        hello.session, outputs, build_plan(load_manifest(HELLO_MANIFEST)).smoke_checks, DEV_PLACEHOLDERS
    )
    assert api["passed"]  # the URL still answers
    for result in (says_hello, greeting):
        assert len(result["problems"]) == 1
        assert result["problems"][0].startswith("cannot invoke function hello-dev-gone: ")
