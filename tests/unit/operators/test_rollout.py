"""Rollout rules as the tasks apply them: fail fast or retry, never start after the wave failed, the summary."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from botocore.exceptions import ClientError, EndpointConnectionError
from operator_samples import PROD_LABEL, prod_target

from flightdeck.errors import DeploymentError, FlightdeckError, TransientError
from flightdeck.operators.base import PermanentFailure, fail_fast, trigger_failure
from flightdeck.operators.rollout import NEVER_STARTED, WaveRules, stop_if_wave_failed
from flightdeck.operators.summary import SUMMARY_KEY, ReleaseSummaryOperator, WaveTasks
from flightdeck.operators.wave import WaveCheckOperator

TASKS = ("w.prepare.package", "w.prepare.create_change_set", "w.deploy.execute_change_set", "w.deploy.smoke_test")


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "X")


class _Ti:
    """The parts of a task instance the rollout code uses: states of the run, XComs, the try."""

    dag_id = "release__hello"
    run_id = "manual__1"

    def __init__(self, states: dict[str, str | None], try_number: int = 1, xcoms: dict[Any, Any] | None = None):
        self.states = states
        self.try_number = try_number
        self.xcoms = dict(xcoms or {})
        self.pushed: dict[str, Any] = {}

    def get_task_states(self, dag_id: str, task_ids: list[str], run_ids: list[str]) -> dict[str, Any]:
        assert (dag_id, run_ids) == (self.dag_id, [self.run_id])
        return {self.run_id: {k: v for k, v in self.states.items() if k.rpartition("_")[0] in task_ids}}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def xcom_pull(self, task_ids: str, key: str, map_indexes: list[int]) -> list[Any]:
        return [self.xcoms.get((task_ids, key, index)) for index in map_indexes]


@pytest.mark.parametrize(
    "error",
    [
        FlightdeckError("Preflight found 1 problem"),
        DeploymentError("Change set failed", account="1", region="r", stack="s", reason="bad template"),
        _client_error("AccessDenied", 403),
        _client_error("ValidationError"),
    ],
)
def test_permanent_errors_fail_at_once(error: Exception) -> None:
    @fail_fast
    def execute() -> None:
        raise error

    with pytest.raises(PermanentFailure) as info:
        execute()
    assert isinstance(info.value, AirflowFailException)  # Airflow does not retry it
    assert isinstance(info.value, FlightdeckError)
    assert info.value.__cause__ is error


@pytest.mark.parametrize(
    "error",
    [
        _client_error("Throttling"),
        _client_error("ThrottlingException"),
        _client_error("InternalFailure", 500),
        _client_error("ExpiredToken", 403),
        EndpointConnectionError(endpoint_url="https://cloudformation.eu-west-1.amazonaws.com"),
        TransientError("Gave up waiting"),
        KeyError("a bug: retried like any unexpected error"),
    ],
)
def test_transient_and_unexpected_errors_keep_the_task_retries(error: Exception) -> None:
    @fail_fast
    def execute() -> None:
        raise error

    with pytest.raises(type(error)):
        execute()


def test_a_wrapped_throttling_error_is_transient() -> None:
    @fail_fast
    def execute() -> None:
        try:
            raise _client_error("Throttling")
        except ClientError as err:
            raise DeploymentError("Cannot create change set", account="1", region="r") from err

    with pytest.raises(DeploymentError):
        execute()


@pytest.mark.parametrize(("outcome", "transient"), [("failed", False), ("discarded", False), ("error", True)])
def test_trigger_failures_say_where_and_why(outcome: str, transient: bool) -> None:
    event = {"outcome": outcome, "stack_name": "hello-prod", "status": "UPDATE_ROLLBACK_COMPLETE", "reason": "boom"}
    error = trigger_failure(prod_target(), event, "The execution ended " + outcome)
    assert isinstance(error, TransientError) is transient
    assert "account 333333333333, region eu-west-1, stack hello-prod, status UPDATE_ROLLBACK_COMPLETE" in str(error)
    assert str(error).endswith(": boom")


RULES = WaveRules(wave="prod/rest", task_ids=TASKS, failure_tolerance_count=1)


def _states(failed: int, total: int) -> dict[str, str | None]:
    states: dict[str, str | None] = {f"{TASKS[0]}_{i}": "success" for i in range(total)}
    states.update({f"{TASKS[2]}_{i}": "failed" for i in range(failed)})
    return states


def test_a_target_starts_while_the_wave_is_within_its_tolerance() -> None:
    ti = _Ti(_states(failed=1, total=4))
    stop_if_wave_failed({"ti": ti}, RULES, PROD_LABEL, "deployment")
    assert ti.pushed == {}


def test_no_new_target_starts_once_the_tolerance_is_exceeded() -> None:
    ti = _Ti(_states(failed=2, total=4))
    with pytest.raises(AirflowSkipException, match=r"deployment not started: wave prod/rest has 2 failed target\(s\)"):
        stop_if_wave_failed({"ti": ti}, RULES, PROD_LABEL, "deployment")
    assert "more than it tolerates" in ti.pushed[NEVER_STARTED]


def test_a_retried_or_cleared_target_runs_whatever_the_wave() -> None:
    ti = _Ti(_states(failed=3, total=4), try_number=2)
    stop_if_wave_failed({"ti": ti}, RULES, PROD_LABEL, "deployment")
    assert ti.pushed == {}


def _summary(*waves: WaveTasks) -> ReleaseSummaryOperator:
    return ReleaseSummaryOperator(task_id="release_summary", waves=waves, application="hello", catalogs={})


def _report_context(ti: _Ti) -> dict[str, Any]:
    """The report alone: a dry run's context, so nothing goes to the ledger (tests/unit/operators/test_recording.py)."""
    return {"ti": ti, "params": {"version": "1.0.0", "dry_run": True}}


def test_summary_of_a_complete_release() -> None:
    wave = WaveTasks("prod", "rest", ("prod/1/eu-west-1", "prod/2/eu-west-1"), TASKS)
    states = {f"{task}_{i}": "success" for task in TASKS for i in range(2)}
    states[f"{TASKS[2]}_1"] = states[f"{TASKS[3]}_1"] = "skipped"  # nothing to change there
    report = _summary(wave).execute(_report_context(_Ti(states)))
    assert report == {
        "waves": [
            {
                "environment": "prod",
                "wave": "rest",
                "succeeded": ["prod/1/eu-west-1", "prod/2/eu-west-1"],
                "failed": [],
                "not_started": [],
            }
        ]
    }


def test_summary_names_failed_and_never_started_targets_and_fails_the_run() -> None:
    labels = ("prod/1/eu-west-1", "prod/2/eu-west-1", "prod/3/eu-west-1")
    canary_tasks = tuple(task.replace("w.", "c.") for task in TASKS)
    canary = WaveTasks("prod", "canary", ("prod/0/eu-west-1",), canary_tasks)
    rest = WaveTasks("prod", "rest", labels, TASKS)
    states = {f"{task}_0": "success" for task in canary_tasks + TASKS}
    states.update({f"{TASKS[0]}_1": "success", f"{TASKS[1]}_1": "failed", f"{TASKS[2]}_1": "skipped"})
    states.update({f"{TASKS[0]}_2": "skipped", f"{TASKS[1]}_2": "skipped", f"{TASKS[2]}_2": "skipped"})
    states[f"{TASKS[3]}_1"] = states[f"{TASKS[3]}_2"] = "skipped"
    ti = _Ti(states, xcoms={(TASKS[0], NEVER_STARTED, 2): "wave failed"})
    with pytest.raises(PermanentFailure) as info:
        _summary(canary, rest).execute(_report_context(ti))
    assert str(info.value).startswith("Release incomplete: 1 target(s) failed, 1 never started.")
    assert "Failed: prod/2/eu-west-1. Never started: prod/3/eu-west-1." in str(info.value)
    # The report is kept for the failed run too.
    rest_report = ti.pushed[SUMMARY_KEY][1]
    assert (rest_report["failed"], rest_report["not_started"]) == (["prod/2/eu-west-1"], ["prod/3/eu-west-1"])


def _wave_check(tolerance: int = 0, bake: int = 0) -> WaveCheckOperator:
    return WaveCheckOperator(
        task_id="w.wave_check",
        wave="prod/w",
        labels=["prod/1/eu-west-1", "prod/2/eu-west-1"],
        task_ids=TASKS,
        failure_tolerance_count=tolerance,
        failure_tolerance_percent=None,
        bake_time_seconds=bake,
    )


def _context(ti: _Ti, **params: Any) -> dict[str, Any]:
    return {"ti": ti, "params": {"version": "1.0.0", **params}}


def test_the_wave_check_runs_whatever_its_targets_ended_as() -> None:
    # all_done_min_one_success would skip it as soon as one target was skipped, and let the next wave start.
    assert _wave_check().trigger_rule == "all_done"


def test_a_wave_with_a_target_that_never_started_fails_its_check() -> None:
    states = {f"{task}_0": "success" for task in TASKS}
    states.update({f"{TASKS[0]}_1": "success", f"{TASKS[1]}_1": "success"})
    states.update({f"{TASKS[2]}_1": "skipped", f"{TASKS[3]}_1": "skipped"})
    ti = _Ti(states, xcoms={(TASKS[2], NEVER_STARTED, 1): "wave failed"})
    with pytest.raises(PermanentFailure, match=r"failed beyond its tolerance: 1 succeeded, 0 failed, 1 never"):
        _wave_check(tolerance=1).execute(_context(ti))


def test_a_failure_within_tolerance_and_a_target_with_nothing_to_change_pass_the_check() -> None:
    states = {f"{task}_0": "success" for task in TASKS}
    states.update({f"{TASKS[0]}_1": "success", f"{TASKS[1]}_1": "success", f"{TASKS[2]}_1": "failed"})
    states[f"{TASKS[3]}_1"] = "upstream_failed"
    assert _wave_check(tolerance=1).execute(_context(_Ti(states))) is None
    nothing_to_change = {**states, f"{TASKS[2]}_1": "skipped", f"{TASKS[3]}_1": "skipped"}
    assert _wave_check().execute(_context(_Ti(nothing_to_change))) is None


def test_a_wave_that_never_started_says_so() -> None:
    states = {f"{task}_{i}": "upstream_failed" for task in TASKS for i in range(2)}
    with pytest.raises(PermanentFailure, match=r"Wave prod/w never started: an earlier step stopped the release"):
        _wave_check(tolerance=1).execute(_context(_Ti(states)))


def test_a_wave_without_targets_has_nothing_to_check() -> None:
    empty = WaveCheckOperator(
        task_id="w.wave_check",
        wave="prod/w",
        labels=[],  # accounts selected at run time: none matched
        task_ids=TASKS,
        failure_tolerance_count=0,
        failure_tolerance_percent=None,
        bake_time_seconds=0,
    )
    assert empty.execute(_context(_Ti({}))) is None


def test_a_dry_run_has_no_wave_to_check() -> None:
    with pytest.raises(AirflowSkipException, match="dry run"):
        _wave_check().execute(_context(_Ti({}), dry_run=True))
