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
from flightdeck.operators.base import TargetOperator, fail_fast
from flightdeck.operators.rollout import NEVER_STARTED
from flightdeck.plan import SmokeCheck


class SmokeTestOperator(TargetOperator):
    """Run the manifest's smoke checks against the target's stack; any failed check fails the task.

    Skipped in a dry run, and for a target this release did not deploy (its prepare step failed, or it never
    started because its wave had failed).

    :param checks: the plan's smoke checks.
    :param change_set_task_id: the task whose XCom describes this target's change set.
    :param execute_task_id: the task that executed it.
    """

    ui_color = "#fbe8e8"

    def __init__(
        self, *, checks: Sequence[SmokeCheck], change_set_task_id: str, execute_task_id: str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.checks = checks
        self.change_set_task_id = change_set_task_id
        self.execute_task_id = execute_task_id

    @fail_fast
    def execute(self, context: Context) -> list[dict[str, Any]]:
        target = self.target
        if context["params"].get("dry_run"):
            raise AirflowSkipException(f"{target.label}: dry run, nothing was deployed to test.")
        if self.pull_own_index(context, self.change_set_task_id) is None:
            raise AirflowSkipException(f"{target.label}: its prepare step made no change set; nothing to test.")
        ti = context["ti"]
        if ti.xcom_pull(task_ids=self.execute_task_id, key=NEVER_STARTED, map_indexes=ti.map_index):
            raise AirflowSkipException(f"{target.label}: not deployed (its wave had failed); nothing to test.")
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
