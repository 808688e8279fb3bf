"""The smoke-test operator: results attached to the run, one log line per check, a failed check fails the task."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck.aws.releases import ReleaseRecord
from flightdeck.aws.stacks import StackState
from flightdeck.ledger import Ledger, Outcome
from flightdeck.operators import smoke as smoke_module
from flightdeck.operators.base import PermanentFailure
from flightdeck.operators.rollback import ROLLBACK_KEY
from flightdeck.operators.rollout import NEVER_STARTED
from flightdeck.operators.smoke import RESULTS_KEY, SmokeTestOperator
from flightdeck.plan import LambdaCheck, RollbackRules, Target, TargetCatalog
from flightdeck.smoke import CheckResult, check_result

LABEL = "prod/333333333333/eu-west-1"
TARGET = Target(
    environment="prod",
    account_id="333333333333",
    region="eu-west-1",
    stack_name="hello-prod",
    deploy_role_arn="arn:aws:iam::333333333333:role/flightdeck-deploy",
    execution_role_arn="arn:aws:iam::333333333333:role/flightdeck-cfn-exec",
    external_id="x",
    artifact_bucket="flightdeck-artifacts-333333333333-eu-west-1",
    parameters=(),
    tags=(),
)
CHECKS = (
    LambdaCheck(name="says-hello", function_output="FunctionName"),
    LambdaCheck(name="other", function_output="FunctionName"),
)
STACK = StackState("hello-prod", "id", "UPDATE_COMPLETE", "", outputs={"FunctionName": "f"})


CHANGE_SET = {
    "change_set_type": "UPDATE",
    "digest": "d1",
    "parameter_versions": {"Greeting": "ssm:/flightdeck/hello/greeting@3"},
}
PACKAGE = {"digest": "d1", "template_url": "https://bucket.s3.amazonaws.com/hello/d1/template.yaml"}


class _Ti:
    map_index = 0

    def __init__(self, change_set: Any = CHANGE_SET, never_started: str | None = None) -> None:
        self.pulled = {
            ("prod.prepare.create_change_set", None): change_set,
            ("prod.prepare.package", None): PACKAGE,
            ("prod.deploy.execute_change_set", NEVER_STARTED): never_started,
        }
        self.pushed: dict[str, Any] = {}

    def xcom_pull(self, task_ids: str, key: str | None = None, **kwargs: Any) -> Any:
        return self.pulled[(task_ids, key)]

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def _context(ti: _Ti, dry_run: bool = False) -> dict[str, Any]:
    return {
        "ti": ti,
        "params": {"version": "2.0.0", "dry_run": dry_run},
        "run_id": "manual__2",
        "dag": SimpleNamespace(dag_id="release__hello"),
    }


@pytest.fixture
def operator() -> SmokeTestOperator:
    return SmokeTestOperator(
        task_id="smoke_test",
        target_label=LABEL,
        targets=TargetCatalog("prod", [TARGET]),
        aws_conn_id=None,
        checks=CHECKS,
        change_set_task_id="prod.prepare.create_change_set",
        execute_task_id="prod.deploy.execute_change_set",
        application="hello",
        package_task_id="prod.prepare.package",
        rollback_rules=RollbackRules(on_smoke_failure=False),  # rollback: tests/integration/aws
    )


class _Calls(list):
    """The arguments ``run_checks`` got; ``results`` is what it answers (every check passing when None)."""

    results: list[CheckResult] | None = None

    def __init__(self) -> None:
        super().__init__()
        self.recorded: list[tuple[str, ReleaseRecord]] = []


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch, task_ledger: Ledger) -> _Calls:
    calls = _Calls()

    def run_checks(session: object, outputs: dict[str, str], checks: Any, placeholders: dict[str, str]) -> list:
        calls.append((outputs, checks, placeholders))
        return calls.results or [check_result(check.name, check.kind) for check in checks]

    monkeypatch.setattr(smoke_module, "run_checks", run_checks)
    monkeypatch.setattr(smoke_module, "describe_stack", lambda session, name: STACK)
    monkeypatch.setattr(SmokeTestOperator, "target_session", lambda self, context: None)
    monkeypatch.setattr(
        smoke_module, "write_release_record", lambda session, bucket, record: calls.recorded.append((bucket, record))
    )
    return calls


def test_passing_checks_are_the_return_value_and_an_xcom(
    operator: SmokeTestOperator, checked: _Calls, capfd: pytest.CaptureFixture[str], task_ledger: Ledger
) -> None:
    ti = _Ti()
    documents = operator.execute(_context(ti))
    logged = "".join(capfd.readouterr())
    assert documents == [
        {"check": "says-hello", "kind": "lambda", "passed": True, "problems": [], "details": {}},
        {"check": "other", "kind": "lambda", "passed": True, "problems": [], "details": {}},
    ]
    assert ti.pushed == {RESULTS_KEY: documents}
    [(outputs, checks, placeholders)] = checked
    assert (outputs, checks) == ({"FunctionName": "f"}, CHECKS)
    assert placeholders == {
        "environment": "prod",
        "account_id": "333333333333",
        "region": "eu-west-1",
        "version": "2.0.0",
    }
    assert f"Smoke check says-hello (lambda) on {LABEL}: passed" in logged
    assert f"Smoke check other (lambda) on {LABEL}: passed" in logged
    # Verified: recorded in the target's artifact bucket as what a later rollback returns to.
    [(bucket, record)] = checked.recorded
    assert bucket == TARGET.artifact_bucket
    assert (record.version, record.run_id, record.digest) == ("2.0.0", "manual__2", "d1")
    assert record.template_url == PACKAGE["template_url"]
    assert record.parameter_versions == CHANGE_SET["parameter_versions"]
    # And the release ledger says the target's attempt succeeded.
    [attempt] = task_ledger.history("hello")
    assert (attempt.version, attempt.run_id, attempt.outcome) == ("2.0.0", "manual__2", Outcome.SUCCEEDED)
    assert attempt.message == "2 smoke check(s) passed"


def test_a_failed_check_fails_the_task_naming_each_problem_and_keeps_the_results(
    operator: SmokeTestOperator, checked: _Calls, capfd: pytest.CaptureFixture[str], task_ledger: Ledger
) -> None:
    checked.results = [
        check_result("says-hello", "lambda", ["field 'environment' is 'tampered', expected 'prod'"]),
        check_result("other", "lambda"),
    ]
    ti = _Ti()
    with pytest.raises(PermanentFailure) as info:
        operator.execute(_context(ti))
    assert str(info.value) == (
        "Smoke test failed: 1 of 2 checks (account 333333333333, region eu-west-1, stack hello-prod): "
        "says-hello: field 'environment' is 'tampered', expected 'prod'. "
        "Rollback: automatic rollback is off for this environment"
    )
    assert [result["passed"] for result in ti.pushed[RESULTS_KEY]] == [False, True]
    assert ti.pushed[ROLLBACK_KEY]["rolled_back_to"] is None
    assert checked.recorded == []  # a failed release is never recorded as verified
    [attempt] = task_ledger.history("hello")  # no rollback ran, so there is no rollback attempt
    assert (attempt.kind, attempt.outcome) == ("deploy", Outcome.FAILED)
    assert attempt.message == str(info.value)
    logged = "".join(capfd.readouterr())
    assert f"Smoke check says-hello (lambda) on {LABEL}: FAILED: field 'environment' is 'tampered'" in logged


@pytest.mark.parametrize(
    ("ti", "dry_run", "reason"),
    [
        (_Ti(), True, "dry run, nothing was deployed to test"),
        (_Ti(change_set=None), False, "its prepare step made no change set"),
        (_Ti(never_started="wave failed"), False, r"not deployed \(its wave had failed\)"),
    ],
)
def test_skips(operator: SmokeTestOperator, checked: _Calls, ti: _Ti, dry_run: bool, reason: str) -> None:
    with pytest.raises(AirflowSkipException, match=reason):
        operator.execute(_context(ti, dry_run=dry_run))
    assert checked == []
    assert ti.pushed == {}
    assert checked.recorded == []
