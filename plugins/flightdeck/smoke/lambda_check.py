"""Smoke checks that invoke a function of the deployed stack: its answer, and the rows other checks validate."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from flightdeck.aws.functions import invoke_function
from flightdeck.aws.session import AccountSession
from flightdeck.checks import failed_expectations
from flightdeck.errors import DeploymentError
from flightdeck.plan import LambdaCheck

Outcome = tuple[list[str], dict[str, Any]]  # problems, details


def call_function(session: AccountSession, function_name: str, payload_json: str) -> tuple[Any, list[str], dict]:
    """Invoke ``function_name`` with the JSON payload; returns its decoded answer, problems and details.

    A function that cannot be invoked (missing, access denied) or raised is a problem, not an exception.
    """
    started = time.perf_counter()
    try:
        invocation = invoke_function(session, function_name, json.loads(payload_json))
    except DeploymentError as err:
        return None, [f"cannot invoke function {function_name}: {err.reason or err}"], {"function": function_name}
    details = {
        "function": function_name,
        "status_code": invocation.status_code,
        "function_error": invocation.function_error,
        "latency_ms": round((time.perf_counter() - started) * 1000),
    }
    if invocation.function_error:
        return None, [f"function raised {invocation.function_error}: {invocation.payload!r:.300}"], details
    if not invocation.ok:
        return None, [f"invocation answered status {invocation.status_code}"], details
    return invocation.payload, [], details


def run_lambda_check(
    session: AccountSession, check: LambdaCheck, function_name: str, placeholders: Mapping[str, str]
) -> Outcome:
    """Invoke the function and compare the answer's top-level fields with ``check.expect``."""
    answer, problems, details = call_function(session, function_name, check.payload_json)
    if not problems:
        problems = failed_expectations(answer, check.expect, placeholders)
    return problems, details
