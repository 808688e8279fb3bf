"""Smoke-test a deployed target: stack outputs present, function answers as expected."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck.aws.cloudformation import describe_stack
from flightdeck.aws.functions import invoke_function
from flightdeck.checks import failed_expectations, missing_outputs
from flightdeck.errors import DeploymentError
from flightdeck.operators.base import TargetOperator
from flightdeck.plan import SmokeCheck


class SmokeTestOperator(TargetOperator):
    """Run the manifest's smoke checks against the target's stack; any failed check fails the task.

    :param checks: the plan's smoke checks.
    """

    ui_color = "#fbe8e8"

    def __init__(self, *, checks: Sequence[SmokeCheck], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.checks = checks

    def execute(self, context: Context) -> list[dict[str, Any]]:
        target = self.target
        if context["params"].get("dry_run"):
            raise AirflowSkipException(f"{target.label}: dry run, nothing was deployed to test.")
        session = self.target_session(context)
        stack = describe_stack(session, target.stack_name)
        if stack is None:
            raise DeploymentError(
                "Smoke test found no stack",
                account=target.account_id,
                region=target.region,
                stack=target.stack_name,
            )
        placeholders = {
            "environment": target.environment,
            "account_id": target.account_id,
            "region": target.region,
            "version": context["params"]["version"],
        }
        results = []
        for check in self.checks:
            problems = missing_outputs(stack.outputs, check.outputs)
            function = stack.outputs.get(check.function_output)
            if function:
                invocation = invoke_function(session, function, json.loads(check.payload_json))
                if invocation.function_error:
                    problems.append(f"function raised {invocation.function_error}: {invocation.payload!r:.300}")
                else:
                    problems += failed_expectations(invocation.payload, check.expect, placeholders)
            results.append({"check": check.name, "passed": not problems, "problems": problems})
            self.log.info("Smoke check %s on %s: %s", check.name, target.label, "; ".join(problems) or "passed")
        failed = [r for r in results if not r["passed"]]
        if failed:
            detail = "; ".join(f"{r['check']}: {', '.join(r['problems'])}" for r in failed)
            raise DeploymentError(
                "Smoke test failed",
                account=target.account_id,
                region=target.region,
                stack=target.stack_name,
                reason=detail,
            )
        return results
