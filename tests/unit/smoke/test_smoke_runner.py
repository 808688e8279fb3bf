"""run_checks: one result per check, in order; missing outputs, functions that fail, and JSON-safe results."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flightdeck.aws.functions import Invocation
from flightdeck.errors import DeploymentError
from flightdeck.plan import ExpectationsCheck, HttpCheck, LambdaCheck, Target
from flightdeck.smoke import check_result, placeholders_for, run_checks, summary
from flightdeck.smoke import lambda_check as lambda_module

PLACEHOLDERS = {"environment": "dev", "account_id": "111111111111", "region": "eu-west-1", "version": "1.2.3"}
OUTPUTS = {"FunctionName": "hello-dev-Function", "ApiMessage": "Hello from dev"}
ANSWER = {"status": "ok", "version": "1.2.3", "environment": "dev", "token_configured": True}
SAYS_HELLO = LambdaCheck(
    name="says-hello",
    function_output="FunctionName",
    payload_json='{"name":"flightdeck"}',
    expect=(("environment", "{environment}"), ("status", "ok"), ("version", "{version}")),
    outputs=("FunctionName", "ApiMessage"),
)


class _Functions:
    """Stands in for ``invoke_function``: answers, or raises, and records each call."""

    def __init__(self, answer: Any = ANSWER, error: str | None = None, raises: Exception | None = None) -> None:
        self.answer, self.error, self.raises = answer, error, raises
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, session: object, function_name: str, payload: dict[str, Any]) -> Invocation:
        self.calls.append((function_name, payload))
        if self.raises is not None:
            raise self.raises
        return Invocation(status_code=200, function_error=self.error, payload=self.answer)


@pytest.fixture
def functions(monkeypatch: pytest.MonkeyPatch) -> _Functions:
    fake = _Functions()
    monkeypatch.setattr(lambda_module, "invoke_function", fake)
    return fake


def test_a_passing_lambda_check(functions: _Functions) -> None:
    [result] = run_checks(None, OUTPUTS, [SAYS_HELLO], PLACEHOLDERS)  # type: ignore[arg-type]
    assert functions.calls == [("hello-dev-Function", {"name": "flightdeck"})]
    assert (result["check"], result["kind"], result["passed"], result["problems"]) == ("says-hello", "lambda", True, [])
    assert result["details"]["function"] == "hello-dev-Function"
    assert (result["details"]["status_code"], result["details"]["function_error"]) == (200, None)
    assert isinstance(result["details"]["latency_ms"], int)
    assert json.loads(json.dumps(result)) == result  # an XCom as it is


def test_wrong_fields_are_problems(functions: _Functions) -> None:
    functions.answer = {**ANSWER, "environment": "tampered"}
    [result] = run_checks(None, OUTPUTS, [SAYS_HELLO], {**PLACEHOLDERS, "version": "2.0.0"})  # type: ignore[arg-type]
    assert result["problems"] == [
        "field 'environment' is 'tampered', expected 'dev'",
        "field 'version' is '1.2.3', expected '2.0.0'",
    ]
    assert summary(result).startswith("FAILED: field 'environment' is 'tampered', expected 'dev'; field 'version'")


def test_a_function_that_raised(functions: _Functions) -> None:
    functions.error, functions.answer = "Unhandled", {"errorMessage": "boom"}
    [result] = run_checks(None, OUTPUTS, [SAYS_HELLO], PLACEHOLDERS)  # type: ignore[arg-type]
    assert result["problems"] == ["function raised Unhandled: {'errorMessage': 'boom'}"]


def test_a_function_that_cannot_be_invoked(functions: _Functions) -> None:
    functions.raises = DeploymentError(
        "Cannot invoke function x", account="111111111111", region="eu-west-1", reason="Function not found"
    )
    [result] = run_checks(None, OUTPUTS, [SAYS_HELLO], PLACEHOLDERS)  # type: ignore[arg-type]
    assert result["problems"] == ["cannot invoke function hello-dev-Function: Function not found"]


def test_missing_outputs_are_problems_and_a_check_without_its_own_output_does_not_run(functions: _Functions) -> None:
    http = HttpCheck(name="health", url_output="ApiUrl")
    data = ExpectationsCheck(name="data", suite="s.json", suite_json="{}", function_output="Nope", outputs=("Nope",))
    results = run_checks(None, {"FunctionName": "f"}, [SAYS_HELLO, http, data], PLACEHOLDERS)  # type: ignore[arg-type]
    assert [result["problems"] for result in results] == [
        ["stack output 'ApiMessage' missing"],
        ["stack output 'ApiUrl' missing"],
        ["stack output 'Nope' missing"],
    ]
    assert len(functions.calls) == 1  # only says-hello has its function


def test_one_failing_check_does_not_stop_the_next(functions: _Functions) -> None:
    other = LambdaCheck(name="other", function_output="FunctionName", expect=(("status", "broken"),))
    results = run_checks(None, OUTPUTS, [other, SAYS_HELLO], PLACEHOLDERS)  # type: ignore[arg-type]
    assert [result["passed"] for result in results] == [False, True]


def test_expectations_check_with_rows_that_are_not_there(functions: _Functions) -> None:
    check = ExpectationsCheck(
        name="data",
        suite="s.json",
        suite_json='{"name":"s","expectations":[]}',
        function_output="FunctionName",
        records="items",
    )
    [result] = run_checks(None, OUTPUTS, [check], PLACEHOLDERS)  # type: ignore[arg-type]
    assert result["problems"] == [
        "records items missing: the answer has no key 'items' (its keys: environment, status, token_configured, "
        "version)"
    ]


def test_a_result_passes_without_problems_and_sums_up_in_one_line() -> None:
    result = check_result("health", "http", ["status 500, expected 200"], {"status_code": 500, "latency_ms": 12})
    assert result == {
        "check": "health",
        "kind": "http",
        "passed": False,
        "problems": ["status 500, expected 200"],
        "details": {"status_code": 500, "latency_ms": 12},
    }
    assert summary(result) == "FAILED: status 500, expected 200 (status 500, 12 ms)"
    assert check_result("health", "http")["passed"] is True


def test_summary_of_an_expectations_result() -> None:
    details = {"rows": 1, "expectations": [{"type": "a", "success": True}, {"type": "b", "success": True}]}
    assert summary(check_result("data", "expectations", (), details)) == "passed (1 row, 2 of 2 expectations met)"


def test_placeholders_for_a_target() -> None:
    target = Target(
        environment="prod",
        account_id="333333333333",
        region="us-east-1",
        stack_name="hello-prod",
        deploy_role_arn="arn:aws:iam::333333333333:role/deploy",
        execution_role_arn="arn:aws:iam::333333333333:role/exec",
        external_id="x",
        artifact_bucket="bucket",
        parameters=(),
        tags=(),
    )
    assert placeholders_for(target, "2.0.0") == {
        "environment": "prod",
        "account_id": "333333333333",
        "region": "us-east-1",
        "version": "2.0.0",
    }
