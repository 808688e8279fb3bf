"""Run a target's smoke checks against its deployed stack: ``run_checks``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from flightdeck.aws.session import AccountSession
from flightdeck.checks import missing_outputs
from flightdeck.plan import ExpectationsCheck, HttpCheck, LambdaCheck, SmokeCheck, Target
from flightdeck.smoke.expectations import run_expectations_check
from flightdeck.smoke.http_check import run_http_check
from flightdeck.smoke.lambda_check import run_lambda_check
from flightdeck.smoke.results import CheckResult, check_result, summary

log = logging.getLogger(__name__)


def placeholders_for(target: Target, version: str) -> dict[str, str]:
    """The values of ``{environment}``, ``{account_id}``, ``{region}`` and ``{version}`` in expected values."""
    return {
        "environment": target.environment,
        "account_id": target.account_id,
        "region": target.region,
        "version": version,
    }


def run_checks(
    session: AccountSession,
    stack_outputs: Mapping[str, str],
    checks: Sequence[SmokeCheck],
    placeholders: Mapping[str, str],
) -> list[CheckResult]:
    """Run every check against one deployed stack, in order; a failing check does not stop the others.

    :param session: the deploy role's session in the target account and region (functions are invoked with it).
    :param stack_outputs: the stack's outputs, name → value (``describe_stack(...).outputs``).
    :param checks: the plan's smoke checks (``ReleasePlan.smoke_checks``).
    :param placeholders: values of ``{environment}``, ``{account_id}``, ``{region}``, ``{version}`` in expected
        values (:func:`placeholders_for`).
    :returns: one result per check, in the order of ``checks``: plain JSON (``{"check", "kind", "passed",
        "problems", "details"}``). What the deployed system does wrong is in the results, never raised; errors that
        a retry may fix (AWS unreachable or throttling) propagate.
    """
    return [run_check(session, stack_outputs, check, placeholders) for check in checks]


def run_check(
    session: AccountSession,
    stack_outputs: Mapping[str, str],
    check: SmokeCheck,
    placeholders: Mapping[str, str],
) -> CheckResult:
    """Run one check (see :func:`run_checks`); a check whose own output is missing is not run."""
    problems = missing_outputs(stack_outputs, check.required_outputs)
    details = {}
    if isinstance(check, HttpCheck) and check.url_output in stack_outputs:
        found, details = run_http_check(check, stack_outputs[check.url_output], placeholders)
        problems += found
    elif isinstance(check, ExpectationsCheck) and check.function_output in stack_outputs:
        found, details = run_expectations_check(session, check, stack_outputs[check.function_output], placeholders)
        problems += found
    elif isinstance(check, LambdaCheck) and check.function_output in stack_outputs:
        found, details = run_lambda_check(session, check, stack_outputs[check.function_output], placeholders)
        problems += found
    result = check_result(check.name, check.kind, problems, details)
    log.debug("Smoke check %s: %s", check.name, summary(result))
    return result
