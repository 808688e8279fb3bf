"""The gate's answers as Airflow delivers them: timeout rejects (or approves, if the manifest says so), reject
deletes the change sets, approval records what was approved."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from operator_samples import prod_target

from flightdeck.errors import FlightdeckError
from flightdeck.ledger import Ledger
from flightdeck.operators import approval as gate_module
from flightdeck.operators.approval import AUTOMATIC, ReleaseGateOperator
from flightdeck.plan import Approval, TargetCatalog

LABEL = "prod/333333333333/eu-west-1"
CHANGE_SET = {
    "label": LABEL,
    "id": "arn:aws:cloudformation:eu-west-1:333333333333:changeSet/cs/1",
    "name": "cs",
    "stack_name": "hello-prod",
    "change_set_type": "UPDATE",
    "is_empty": False,
    "review": {"change_set_id": "arn:…/1", "summary": {}, "fingerprint": "f" * 64},
}
TARGET = prod_target()
# What the scheduler's timeout sweep sends when nobody answered and the gate has no defaults.
TIMEOUT = {"error": "The Human-in-the-loop response timeout has passed without a response.", "error_type": "timeout"}


class _Ti:
    map_index = -1

    def xcom_pull(self, task_ids: Any, **kwargs: Any) -> Any:
        return [CHANGE_SET] if isinstance(task_ids, list) else CHANGE_SET


@pytest.fixture
def discarded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    gone: list[str] = []
    monkeypatch.setattr(gate_module, "target_session", lambda target, conn, context: object())
    monkeypatch.setattr(
        gate_module, "discard_change_set", lambda session, stack_name, change_set_id: gone.append(change_set_id)
    )
    return gone


def _gate(on_timeout: str = "reject") -> ReleaseGateOperator:
    rules = Approval(required=True, approvers=("approver",), timeout_seconds=60, on_timeout=on_timeout)
    return ReleaseGateOperator(
        task_id="approve",
        environment="prod",
        application="hello",
        approval=rules,
        change_set_task_id="prod.prepare.create_change_set",
        targets=TargetCatalog("prod", [TARGET]),
        aws_conn_id=None,
    )


def test_timeout_rejects_and_deletes_the_change_sets(discarded: list[str]) -> None:
    gate = _gate()
    assert gate.defaults is None
    with pytest.raises(FlightdeckError) as info:
        gate.execute_complete({"ti": _Ti()}, dict(TIMEOUT))
    assert str(info.value) == "Release to prod timed out: its change sets were deleted and nothing was executed."
    assert discarded == [CHANGE_SET["id"]]


def test_reject_names_who_and_deletes_the_change_sets(discarded: list[str]) -> None:
    event = {
        "chosen_options": ["Reject"],
        "params_input": {},
        "responded_at": datetime(2026, 11, 28, tzinfo=UTC),
        "responded_by_user": {"id": "approver", "name": "approver"},
    }
    with pytest.raises(FlightdeckError, match=r"^Release to prod was rejected by approver: its change sets were"):
        _gate().execute_complete({"ti": _Ti()}, event)
    assert discarded == [CHANGE_SET["id"]]


def test_timeout_that_approves_records_nobody(discarded: list[str], task_ledger: Ledger) -> None:
    gate = _gate(on_timeout="approve")
    assert gate.defaults == ["Approve"]  # the scheduler answers Approve when the timeout passes
    event = {
        "chosen_options": ["Approve"],
        "params_input": {},
        "responded_at": datetime(2026, 11, 28, tzinfo=UTC),
        "responded_by_user": None,
    }
    context = {"ti": _Ti(), "params": {"version": "2.0.0"}, "dag": SimpleNamespace(dag_id="release__hello")}
    attempt = task_ledger.start_attempt(
        application="hello",
        stack_name="hello-prod",
        version="2.0.0",
        dag_id="release__hello",
        run_id="manual__1",
        environment="prod",
        account_id="333333333333",
        region="eu-west-1",
    )
    record = gate.execute_complete({**context, "run_id": "manual__1"}, event)
    assert record["approved_by"] == "nobody: the response timeout passed"
    assert task_ledger.attempt(attempt).approved_by == "nobody: the response timeout passed"
    assert record["change_sets"] == {LABEL: {"id": CHANGE_SET["id"], "fingerprint": "f" * 64}}
    assert discarded == []
    assert record["approved_by"] != AUTOMATIC
