"""Preflight: before any change set, check every target of the release and report every problem at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from airflow.sdk import BaseOperator, Context

from flightdeck.aws.preflight import check_target
from flightdeck.aws.session import AccountSession
from flightdeck.errors import FlightdeckError
from flightdeck.operators.base import fail_fast, target_session
from flightdeck.plan import Target, TargetCatalog
from flightdeck.plan.target import stack_collisions

# Targets checked at once: each check is a few short AWS calls in another account.
PREFLIGHT_THREADS = 16


class PreflightOperator(BaseOperator):
    """Assume every target's deploy role, and check its artifact bucket and every parameter it will read.

    Fails naming every problem in every target (missing SSM parameters, secrets or JSON keys, roles that cannot
    be assumed, buckets that do not exist, two environments selecting the same stack), so a release never stops
    half-way for a missing key. Accounts selected from AWS Organizations are checked like listed ones. Each
    deploy role is assumed once, whatever the number of regions it deploys to.

    :param targets: every target of the accounts listed by id.
    :param catalogs: each environment's targets by label, selected accounts included.
    :param selected_labels: per environment that selects accounts, the labels its select task returned.
    :param aws_conn_id: Airflow connection of the orchestrator.
    """

    template_fields: Sequence[str] = ("selected_labels",)
    ui_color = "#e8fbf7"

    def __init__(
        self,
        *,
        targets: Sequence[Target],
        catalogs: Mapping[str, TargetCatalog],
        selected_labels: Sequence[Any] = (),
        aws_conn_id: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.targets = list(targets)
        self.catalogs = catalogs
        self.selected_labels = list(selected_labels)
        self.aws_conn_id = aws_conn_id

    @fail_fast
    def execute(self, context: Context) -> dict[str, int]:
        release = {"version": context["params"]["version"], "run_id": context["run_id"]}
        targets = self.targets + self._selected_targets()

        by_role: dict[tuple[str, str | None, int], Target] = {}
        for target in targets:
            by_role.setdefault(_role_key(target), target)

        def assume(target: Target) -> AccountSession | FlightdeckError:
            try:
                return target_session(target, self.aws_conn_id, context)
            except FlightdeckError as err:
                return err

        def check(target: Target) -> list[str]:
            assumed = sessions[_role_key(target)]
            try:
                if isinstance(assumed, FlightdeckError):
                    raise assumed
                session = assumed.in_region(target.region)
                sources = [(p.name, p.kind, p.value) for p in target.parameters]
                problems = check_target(session, bucket=target.artifact_bucket, sources=sources, release=release)
            except FlightdeckError as err:
                problems = [str(err)]
            return [f"{target.label}: {problem}" for problem in problems]

        with ThreadPoolExecutor(max_workers=PREFLIGHT_THREADS) as pool:
            sessions = dict(zip(by_role, pool.map(assume, by_role.values()), strict=True))
            problems = [problem for found in pool.map(check, targets) for problem in found]
        problems += stack_collisions(targets)
        if problems:
            raise FlightdeckError(
                f"Preflight found {len(problems)} problem(s); nothing was deployed:\n" + "\n".join(problems)
            )
        self.log.info("Preflight: %d target(s) ready", len(targets))
        return {"targets": len(targets)}

    def _selected_targets(self) -> list[Target]:
        """The targets of the selected accounts (labels not listed by id in their environment)."""
        found = []
        for labels in self.selected_labels:
            for label in labels:
                catalog = self.catalogs[label.split("/", 1)[0]]
                if label not in catalog.listed:
                    found.append(catalog[label])
        return found


def _role_key(target: Target) -> tuple[str, str | None, int]:
    """Targets with the same key share one assumed session: the same role, ExternalId and duration."""
    return (target.deploy_role_arn, target.external_id, target.session_duration_seconds)
