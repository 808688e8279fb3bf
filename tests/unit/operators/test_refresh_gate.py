"""The refresh gate: passes by itself unless the environment requires approval and a stack would change."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk.exceptions import AirflowSkipException
from operator_samples import prod_target

from flightdeck.ledger import Ledger
from flightdeck.operators.approval import AUTOMATIC
from flightdeck.operators.base import PermanentFailure
from flightdeck.operators.refresh_gate import RefreshGateOperator
from flightdeck.plan import Approval, Target, TargetCatalog

DEV = [
    Target(**{**prod_target().__dict__, "environment": "dev", "account_id": account, "stack_name": "hello-dev"})
    for account in ("111111111111", "222222222222")
]

CHANGED = {
    "id": "arn:cs/refresh-1",
    "label": "dev/111111111111/eu-west-1",
    "is_empty": False,
    "version": "1.0.0",
    "changes": [{"action": "Modify", "logical_id": "Setting", "resource_type": "AWS::SSM::Parameter"}],
}
IN_SYNC = {**CHANGED, "id": "arn:cs/refresh-2", "label": "dev/222222222222/eu-west-1", "is_empty": True, "changes": []}
DETECTED = {
    "label": CHANGED["label"],
    "attempt_id": 7,
    "drift": {"status": "DRIFTED", "resources": [{"logical_id": "Setting", "status": "MODIFIED"}]},
}


class FakeTi:
    def __init__(self, change_sets: list[dict[str, Any] | None]) -> None:
        self.change_sets = change_sets

    def xcom_pull(self, task_ids: list[str]) -> list[dict[str, Any] | None]:
        return self.change_sets if task_ids == ["dev.prepare.create_change_set"] else [DETECTED]


def _gate(required: bool, approvers: tuple[str, ...] = ("approver",)) -> RefreshGateOperator:
    return RefreshGateOperator(
        task_id="dev.approve",
        environment="dev",
        application="hello",
        approval=Approval(required=required, approvers=approvers, timeout_seconds=None),
        change_set_task_id="dev.prepare.create_change_set",
        detect_task_id="dev.prepare.detect_drift",
        targets=TargetCatalog("dev", DEV),
        aws_conn_id=None,
    )


def _context(ti: FakeTi) -> dict[str, Any]:
    return {"ti": ti, "dag": SimpleNamespace(dag_id="refresh__hello"), "run_id": "scheduled__1"}


def test_passes_by_itself_where_approval_is_not_required(task_ledger: Ledger) -> None:
    refreshed = task_ledger.start_attempt(
        application="hello",
        environment="dev",
        account_id="111111111111",
        region="eu-west-1",
        stack_name="hello-dev",
        version="1.0.0",
        dag_id="refresh__hello",
        run_id="scheduled__1",
        kind="refresh",
    )
    record = _gate(required=False).execute(_context(FakeTi([CHANGED, IN_SYNC, None])))  # type: ignore[arg-type]

    assert record["approved_by"] == AUTOMATIC
    assert record["change_sets"] == {CHANGED["label"]: CHANGED["id"]}  # only what would change is let through
    assert task_ledger.attempt(refreshed).approved_by == AUTOMATIC  # the ledger says who let it through


def test_passes_by_itself_when_nothing_would_change_even_where_approval_is_required(task_ledger: Ledger) -> None:
    record = _gate(required=True).execute(_context(FakeTi([IN_SYNC])))  # type: ignore[arg-type]

    assert (record["approved_by"], record["change_sets"]) == (AUTOMATIC, {})


def test_asks_an_approver_where_required_and_a_stack_would_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ApprovalOperator, "execute", lambda self, context: "asked")
    gate = _gate(required=True, approvers=("approver", "release-manager"))

    assert gate.execute({"ti": FakeTi([CHANGED, IN_SYNC])}) == "asked"  # type: ignore[arg-type]

    assert gate.assigned_users == [
        {"id": "approver", "name": "approver"},
        {"id": "release-manager", "name": "release-manager"},
    ]
    assert "| dev/111111111111/eu-west-1 | 1.0.0 | Setting (MODIFIED) | Modify Setting |" in (gate.body or "")


def test_refuses_where_approval_is_required_but_nobody_may_answer() -> None:
    with pytest.raises(PermanentFailure, match="names no approvers"):
        _gate(required=True, approvers=()).execute({"ti": FakeTi([CHANGED])})  # type: ignore[arg-type]


def test_skips_when_no_change_set_was_made() -> None:
    with pytest.raises(AirflowSkipException, match="nothing to let through"):
        _gate(required=True).execute({"ti": FakeTi([None])})  # type: ignore[arg-type]
