"""What Flightdeck's CloudFormation triggers share: identifiers only, role sessions assumed anew, a deadline."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from time import monotonic
from typing import Any, Literal

from airflow.triggers.base import BaseTrigger, TriggerEvent
from botocore.exceptions import BotoCoreError, ClientError

from flightdeck.aws.session import AccountSession, assume_role
from flightdeck.aws.transient import is_transient
from flightdeck.errors import FlightdeckError
from flightdeck.triggers.schedule import CLOSE_SECONDS, first_look_pays, next_poll_in

# What an event reports; each trigger documents the ones it yields.
EventOutcome = Literal["ready", "empty", "failed", "executed", "discarded", "complete", "timeout", "error"]

# Calls already retry (adaptive mode, see aws.session); this many failed polls in a row end the wait.
MAX_FAILED_POLLS = 5


class CloudFormationTrigger(BaseTrigger):
    """Base of the triggers that poll CloudFormation in a target account until something is settled.

    Only identifiers are serialised, never credentials. The role is assumed again from the orchestrator's Airflow
    connection (read again too) whenever the session is :attr:`session_max_age` seconds old, after a failed poll,
    and whenever the trigger is (re)started; its credentials last an hour and botocore renews them before they
    expire, so a wait of days never uses expired credentials.

    :param stack_name: the stack.
    :param change_set_id: the change set's ARN.
    :param role_arn: the deploy role in the target account.
    :param region_name: the target region.
    :param session_name: STS role-session name (cleaned and cut to 64 characters like every Flightdeck session).
    :param external_id: the ExternalId the role's trust policy requires, if any.
    :param aws_conn_id: the orchestrator's Airflow connection (its ``endpoint_url`` and ``service_config.sts``
        are honoured); ``None`` for boto3's default credentials and endpoints.
    :param waiter_delay: seconds between polls when ``expected_seconds`` is unknown (and once the operation is
        well past it).
    :param expected_seconds: how long the operation should take (the target's previous one, from the release
        ledger): the trigger first looks then, and then every few seconds (:mod:`flightdeck.triggers.schedule`).
    :param started_at: when the operation started (ISO 8601, UTC); default: when the trigger is made. Serialised,
        so a restarted trigger keeps counting from the start. Every event reports the ``seconds`` since then.
    :param timeout: seconds to wait in all; ``None`` waits forever.
    :param deadline: when the wait ends (ISO 8601, UTC). Set from ``timeout`` when the trigger is first made and
        serialised with it, so a trigger the triggerer restarts keeps its end; callers pass ``timeout``.
    """

    default_delay: float = 30
    # A new boto3 session costs ~0.6 s of CPU (botocore loads its JSON models per session): not on every poll.
    session_max_age: float = 600
    waiting_for = "CloudFormation"  # what the wait is for, in the reason of a timeout

    def __init__(
        self,
        *,
        stack_name: str,
        change_set_id: str,
        role_arn: str,
        region_name: str,
        session_name: str,
        external_id: str | None = None,
        aws_conn_id: str | None = "aws_default",
        waiter_delay: float | None = None,
        expected_seconds: float | None = None,
        started_at: str | None = None,
        timeout: float | None = None,
        deadline: str | None = None,
    ) -> None:
        super().__init__()
        self.stack_name = stack_name
        self.change_set_id = change_set_id
        self.role_arn = role_arn
        self.region_name = region_name
        self.session_name = session_name
        self.external_id = external_id
        self.aws_conn_id = aws_conn_id
        self.waiter_delay = self.default_delay if waiter_delay is None else waiter_delay
        self.expected_seconds = expected_seconds
        self.started_at = started_at or datetime.now(UTC).isoformat()
        self.timeout = timeout
        if deadline is None and timeout is not None:
            deadline = (datetime.now(UTC) + timedelta(seconds=timeout)).isoformat()
        self.deadline = deadline
        self.last_status = ""
        self.last_execution_status = ""
        self._seen: tuple[str, str, str] = ("", "", "")
        self._session: AccountSession | None = None
        self._session_started = 0.0
        self._pending_at: float | None = None  # elapsed seconds at the last poll that found it still going

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "stack_name": self.stack_name,
                "change_set_id": self.change_set_id,
                "role_arn": self.role_arn,
                "region_name": self.region_name,
                "session_name": self.session_name,
                "external_id": self.external_id,
                "aws_conn_id": self.aws_conn_id,
                "waiter_delay": self.waiter_delay,
                "expected_seconds": self.expected_seconds,
                "started_at": self.started_at,
                "timeout": self.timeout,
                "deadline": self.deadline,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        end = datetime.fromisoformat(self.deadline) if self.deadline else None
        failed_polls = 0
        if not first_look_pays(self.expected_seconds):  # the task deferred right after starting the operation
            await asyncio.sleep(self._pause(end))
        while True:
            try:
                # boto3 blocks: each poll runs in a worker thread, never in the triggerer's event loop.
                event = await asyncio.to_thread(self._poll_once)
            except (FlightdeckError, ClientError, BotoCoreError) as err:
                self._session = None
                failed_polls += 1
                if not is_transient(err) or failed_polls >= MAX_FAILED_POLLS:
                    yield TriggerEvent(self.event("error", reason=str(err)))
                    return
                self.log.warning("Poll %d of %s failed, trying again: %s", failed_polls, self.stack_name, err)
            else:
                failed_polls = 0
                if event is not None:
                    self.log.info("%s: %s", self.stack_name, event["outcome"])
                    yield TriggerEvent(event)
                    return
                self._pending_at = self.elapsed()
            remaining = (end - datetime.now(UTC)).total_seconds() if end else None
            if remaining is not None and remaining <= 0:
                after = f"after {self.timeout:g} s" if self.timeout is not None else f"at {self.deadline}"
                reason = f"Gave up {after} waiting for {self.waiting_for}"
                yield TriggerEvent(
                    self.event(
                        "timeout", status=self.last_status, execution_status=self.last_execution_status, reason=reason
                    )
                )
                return
            await asyncio.sleep(self._pause(end))

    def elapsed(self) -> float:
        """Seconds since the operation started."""
        return (datetime.now(UTC) - datetime.fromisoformat(self.started_at)).total_seconds()

    def duration(self) -> float:
        """How long the operation took, as far as the polls tell: it ended between the last poll that found it going
        (or its start) and now; now less half that gap, and never more than ``CLOSE_SECONDS / 2`` less. Recorded,
        it is the next operation's expected duration: estimating short keeps the next first look from being late
        by as much as this one was, and the short polls after it catch an end just past it."""
        now = self.elapsed()
        gap = now - (self._pending_at or 0.0)
        return max(0.0, now - min(gap, CLOSE_SECONDS) / 2)

    def _pause(self, end: datetime | None) -> float:
        pause = next_poll_in(self.elapsed(), self.expected_seconds, self.waiter_delay)
        return pause if end is None else max(0.0, min(pause, (end - datetime.now(UTC)).total_seconds()))

    def session(self) -> AccountSession:
        """The session in the target account; a new one (``sts:AssumeRole``) once the last is too old or failed."""
        now = monotonic()
        if self._session is None or now - self._session_started >= self.session_max_age:
            self._session = assume_role(
                aws_conn_id=self.aws_conn_id,
                role_arn=self.role_arn,
                region=self.region_name,
                session_name=self.session_name,
                external_id=self.external_id,
            )
            self._session_started = now
        return self._session

    def _poll_once(self) -> dict[str, Any] | None:
        return self.poll(self.session())

    @abstractmethod
    def poll(self, session: AccountSession) -> dict[str, Any] | None:
        """Look once (blocking boto3 calls, in a worker thread); the event payload when settled, else ``None``."""

    def event(
        self,
        outcome: EventOutcome,
        *,
        status: str = "",
        execution_status: str = "",
        reason: str = "",
        outputs: dict[str, str] | None = None,
        termination_protection: bool | None = None,
    ) -> dict[str, Any]:
        """An event payload; every one has the same keys, whatever the trigger and the outcome.

        ``seconds``: how long the operation took (:meth:`duration`); ``termination_protection``: the stack's, when
        a poll read it.
        """
        return {
            "outcome": outcome,
            "stack_name": self.stack_name,
            "change_set_id": self.change_set_id,
            "status": status,
            "execution_status": execution_status,
            "reason": reason,
            "outputs": outputs or {},
            "seconds": round(self.duration(), 1),
            "termination_protection": termination_protection,
        }

    def seen(self, what: str, status: str, execution_status: str = "") -> None:
        """Remember the statuses a poll saw (a timeout reports them); log them when they changed."""
        if (what, status, execution_status) != self._seen:
            self.log.info("%s: %s is %s", self.stack_name, what, " / ".join(filter(None, (status, execution_status))))
        self._seen = (what, status, execution_status)
        self.last_status, self.last_execution_status = status, execution_status
