"""Preflight assumes each deploy role once, however many regions it deploys to, and reports per target."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from operator_samples import prod_target

from flightdeck.aws.session import AccountSession
from flightdeck.errors import DeploymentError, FlightdeckError
from flightdeck.operators import preflight as preflight_module
from flightdeck.operators.preflight import PreflightOperator
from flightdeck.plan import TargetCatalog

BASE = prod_target()
OTHER_ROLE = "arn:aws:iam::444444444444:role/flightdeck-deploy"
TARGETS = [
    *(replace(BASE, region=region) for region in ("eu-west-1", "us-east-1", "ap-south-1")),
    replace(BASE, account_id="444444444444", deploy_role_arn=OTHER_ROLE, stack_name="hello-prod-b"),
]
CONTEXT: dict[str, Any] = {"params": {"version": "1.0.0"}, "run_id": "manual__1"}


def _operator() -> PreflightOperator:
    return PreflightOperator(
        task_id="preflight", targets=TARGETS, catalogs={"prod": TargetCatalog("prod", TARGETS)}, aws_conn_id=None
    )


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Each target checked: (account, region) of the session it was checked with."""
    seen: list[tuple[str, str]] = []

    def check_target(session: AccountSession, **kwargs: Any) -> list[str]:
        seen.append((session.account_id, session.region))
        return []

    monkeypatch.setattr(preflight_module, "check_target", check_target)
    return seen


def test_each_role_is_assumed_once_and_every_target_checked_in_its_region(
    monkeypatch: pytest.MonkeyPatch, checked: list[tuple[str, str]]
) -> None:
    assumed: list[str] = []

    def target_session(target: Any, conn: Any, context: Any) -> AccountSession:
        assumed.append(target.deploy_role_arn)
        return AccountSession(object(), region=target.region, account_id=target.account_id)  # type: ignore[arg-type]

    monkeypatch.setattr(preflight_module, "target_session", target_session)
    assert _operator().execute(CONTEXT) == {"targets": 4}
    assert sorted(assumed) == sorted([BASE.deploy_role_arn, OTHER_ROLE])
    assert sorted(checked) == sorted((t.account_id, t.region) for t in TARGETS)


def test_a_role_that_cannot_be_assumed_is_reported_for_each_of_its_targets(
    monkeypatch: pytest.MonkeyPatch, checked: list[tuple[str, str]]
) -> None:
    def target_session(target: Any, conn: Any, context: Any) -> AccountSession:
        if target.deploy_role_arn == OTHER_ROLE:
            raise DeploymentError(f"Cannot assume role {OTHER_ROLE}", account="444444444444", region=target.region)
        return AccountSession(object(), region=target.region, account_id=target.account_id)  # type: ignore[arg-type]

    monkeypatch.setattr(preflight_module, "target_session", target_session)
    with pytest.raises(FlightdeckError) as info:
        _operator().execute(CONTEXT)
    assert "Preflight found 1 problem(s)" in str(info.value)
    assert f"prod/444444444444/eu-west-1: Cannot assume role {OTHER_ROLE}" in str(info.value)
    assert len(checked) == 3
