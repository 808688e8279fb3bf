"""The polling loop: identifiers only in kwargs, role sessions assumed again, errors and deadlines reported."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from flightdeck.aws.session import AccountSession
from flightdeck.errors import DeploymentError, FlightdeckError
from flightdeck.triggers import ChangeSetReadyTrigger, StackOperationTrigger, base
from flightdeck.triggers.base import CloudFormationTrigger

ROLE = "arn:aws:iam::111111111111:role/flightdeck-deploy"
CHANGE_SET = "arn:aws:cloudformation:eu-west-1:111111111111:changeSet/fd-release-1/abc"
IDENTIFIERS = {
    "stack_name": "hello-dev",
    "change_set_id": CHANGE_SET,
    "role_arn": ROLE,
    "region_name": "eu-west-1",
    "session_name": "release__hello.manual__1.0a1b2c3d",
    "external_id": "flightdeck-demo",
    "aws_conn_id": "aws_orchestrator",
}


class Scripted(CloudFormationTrigger):
    """Polls return (or raise) what the test scripted, in order; the last result repeats."""

    def __init__(self, results: list[Any], **kwargs: Any) -> None:
        super().__init__(**{**IDENTIFIERS, "waiter_delay": 0, **kwargs})
        self.results = results
        self.sessions: list[AccountSession] = []

    def poll(self, session: AccountSession) -> dict[str, Any] | None:
        self.sessions.append(session)
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, BaseException):
            raise result
        if result is None:
            self.seen("change set", "CREATE_COMPLETE", "AVAILABLE")
            return None
        return self.event(result)


@pytest.fixture
def assumed(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every ``assume_role`` call of the triggers (each would call ``sts:AssumeRole``)."""
    calls: list[dict[str, Any]] = []

    def fake_assume_role(**kwargs: Any) -> AccountSession:
        calls.append(kwargs)
        return AccountSession(object(), region=kwargs["region"], account_id="111111111111")  # type: ignore[arg-type]

    monkeypatch.setattr(base, "assume_role", fake_assume_role)
    return calls


def _first_event(trigger: CloudFormationTrigger) -> dict[str, Any]:
    async def first() -> dict[str, Any]:
        async for event in trigger.run():
            payload = dict(event.payload)
            assert payload.pop("seconds") >= 0
            return payload
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(first())


@pytest.mark.parametrize("cls", [ChangeSetReadyTrigger, StackOperationTrigger])
def test_serialize_gives_the_classpath_and_only_identifiers(cls: type[CloudFormationTrigger]) -> None:
    trigger = cls(**IDENTIFIERS, waiter_delay=10)
    classpath, kwargs = trigger.serialize()
    assert classpath == f"{cls.__module__}.{cls.__name__}"
    assert classpath.startswith("flightdeck.triggers.")
    started = datetime.fromisoformat(kwargs["started_at"])
    assert abs((datetime.now(UTC) - started).total_seconds()) < 5
    assert kwargs == {
        **IDENTIFIERS,
        "waiter_delay": 10,
        "expected_seconds": None,
        "started_at": kwargs["started_at"],
        "timeout": None,
        "deadline": None,
    }
    assert cls(**kwargs).serialize() == (classpath, kwargs)
    json.dumps(kwargs)  # what the triggerer stores


def test_serialized_kwargs_hold_no_credentials(assumed: list[dict[str, Any]]) -> None:
    trigger = Scripted([None, "ready"])
    _first_event(trigger)  # the trigger has held a session
    text = json.dumps(trigger.serialize()).lower()
    for secret in ("testing", "secret", "token", "accesskey", "access_key", "credentials", "password"):
        assert secret not in text


def test_default_poll_intervals() -> None:
    assert ChangeSetReadyTrigger(**IDENTIFIERS).waiter_delay == 5
    assert StackOperationTrigger(**IDENTIFIERS).waiter_delay == 30


def test_timeout_becomes_a_deadline_that_survives_serialization() -> None:
    before = datetime.now(UTC)
    trigger = StackOperationTrigger(**IDENTIFIERS, timeout=3600)
    _, kwargs = trigger.serialize()
    deadline = datetime.fromisoformat(kwargs["deadline"])
    assert before + timedelta(seconds=3600) <= deadline <= datetime.now(UTC) + timedelta(seconds=3600)
    assert kwargs["timeout"] == 3600
    # Re-made from its kwargs (the triggerer restarted, maybe hours later): the same end, not a new hour.
    assert StackOperationTrigger(**kwargs).deadline == kwargs["deadline"]


def test_assumes_the_role_from_the_connection_with_the_identifiers(assumed: list[dict[str, Any]]) -> None:
    _first_event(Scripted(["ready"]))
    assert assumed == [
        {
            "aws_conn_id": "aws_orchestrator",
            "role_arn": ROLE,
            "region": "eu-west-1",
            "session_name": "release__hello.manual__1.0a1b2c3d",
            "external_id": "flightdeck-demo",
        }
    ]


def test_the_role_is_assumed_again_once_the_session_is_old(
    assumed: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter(range(0, 10_000, 100))  # each poll happens 100 s after the previous one
    monkeypatch.setattr(base, "monotonic", lambda: next(clock))
    trigger = Scripted([None] * 15 + ["complete"])

    assert _first_event(trigger)["outcome"] == "complete"

    assert len(trigger.sessions) == 16  # polls at 0, 100, ... 1500 s: sessions from 0, 600 and 1200 s
    assert len(assumed) == 3
    assert len({id(session) for session in trigger.sessions}) == 3


def test_every_poll_assumes_the_role_when_sessions_are_not_kept(assumed: list[dict[str, Any]]) -> None:
    trigger = Scripted([None, None, None, "complete"])
    trigger.session_max_age = 0
    _first_event(trigger)
    assert len(assumed) == 4


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} happened"}}, "DescribeStacks")


def _wrapped(err: Exception) -> DeploymentError:
    try:
        raise DeploymentError("Cannot describe stack", account="111111111111", region="eu-west-1") from err
    except DeploymentError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    "error",
    [
        _client_error("Throttling"),
        _wrapped(_client_error("ExpiredToken")),
        _wrapped(EndpointConnectionError(endpoint_url="https://cloudformation.eu-west-1.amazonaws.com")),
    ],
    ids=["throttled", "expired-credentials", "unreachable"],
)
def test_transient_errors_are_tried_again_with_a_new_session(assumed: list[dict[str, Any]], error: Exception) -> None:
    trigger = Scripted([None, error, error, "complete"])
    assert _first_event(trigger)["outcome"] == "complete"
    assert len(assumed) == 3  # the first session, then a new one after each failed poll


def test_too_many_failed_polls_in_a_row_end_the_wait(assumed: list[dict[str, Any]]) -> None:
    error = _client_error("Throttling")
    event = _first_event(Scripted([error] * base.MAX_FAILED_POLLS + ["complete"]))
    assert event["outcome"] == "error"
    assert "Throttling" in event["reason"]


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(_client_error("AccessDenied")),
        FlightdeckError("Unknown CloudFormation status 'NEW_STATUS'"),
    ],
    ids=["access-denied", "unknown-status"],
)
def test_other_errors_end_the_wait_with_an_error_event(assumed: list[dict[str, Any]], error: Exception) -> None:
    event = _first_event(Scripted([None, error, "complete"]))
    assert event == {
        "outcome": "error",
        "stack_name": "hello-dev",
        "change_set_id": CHANGE_SET,
        "status": "",
        "execution_status": "",
        "reason": str(error),
        "outputs": {},
        "termination_protection": None,
    }


def test_bugs_are_not_turned_into_events(assumed: list[dict[str, Any]]) -> None:
    with pytest.raises(TypeError):
        _first_event(Scripted([TypeError("a bug")]))


def test_timeout_reports_what_was_seen_last(assumed: list[dict[str, Any]]) -> None:
    trigger = Scripted([None], waiter_delay=0.05, timeout=0.3)
    event = _first_event(trigger)
    assert event == {
        "outcome": "timeout",
        "stack_name": "hello-dev",
        "change_set_id": CHANGE_SET,
        "status": "CREATE_COMPLETE",
        "execution_status": "AVAILABLE",
        "reason": "Gave up after 0.3 s waiting for CloudFormation",
        "outputs": {},
        "termination_protection": None,
    }
    assert len(trigger.sessions) >= 3


def test_a_deadline_already_passed_still_polls_once(assumed: list[dict[str, Any]]) -> None:
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert _first_event(Scripted(["complete"], deadline=past))["outcome"] == "complete"
    assert _first_event(Scripted([None], deadline=past))["outcome"] == "timeout"


@pytest.mark.parametrize(
    ("pending_at", "now", "duration"),
    [
        (None, 10.0, 9.5),  # seen over at the first look: at most 0.5 s earlier, so the next look is not late
        (9.0, 10.0, 9.5),  # between two short polls: the middle
        (9.6, 10.0, 9.8),  # polls closer together: half their gap
        (30.0, 60.0, 59.5),  # after a long quiet wait: as after a first look
        (None, 0.4, 0.2),  # a quick operation stays quick
    ],
)
def test_the_duration_is_estimated_from_the_last_two_polls(
    monkeypatch: pytest.MonkeyPatch, pending_at: float | None, now: float, duration: float
) -> None:
    trigger = Scripted(["complete"])
    trigger._pending_at = pending_at
    monkeypatch.setattr(trigger, "elapsed", lambda: now)
    assert trigger.duration() == pytest.approx(duration)
    assert trigger.event("complete")["seconds"] == pytest.approx(duration)
