"""Preflight: before any change set, check every target of the release and report every problem at once."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from airflow.sdk import BaseOperator, Context

from flightdeck.aws.preflight import check_target
from flightdeck.errors import FlightdeckError
from flightdeck.operators.base import target_session
from flightdeck.plan import Target

# Targets checked at once: each check is a few short AWS calls in another account.
PREFLIGHT_THREADS = 16


class PreflightOperator(BaseOperator):
    """Assume every target's deploy role, and check its artifact bucket and every parameter it will read.

    Fails naming every problem in every target (missing SSM parameters, secrets or JSON keys, roles that cannot
    be assumed, buckets that do not exist), so a release never stops half-way for a missing key.

    :param targets: every target of the release.
    :param aws_conn_id: Airflow connection of the orchestrator.
    """

    ui_color = "#e8fbf7"

    def __init__(self, *, targets: Sequence[Target], aws_conn_id: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = list(targets)
        self.aws_conn_id = aws_conn_id

    def execute(self, context: Context) -> dict[str, int]:
        release = {"version": context["params"]["version"], "run_id": context["run_id"]}

        def check(target: Target) -> list[str]:
            try:
                session = target_session(target, self.aws_conn_id, context)
                sources = [(p.name, p.kind, p.value) for p in target.parameters]
                problems = check_target(session, bucket=target.artifact_bucket, sources=sources, release=release)
            except FlightdeckError as err:
                problems = [str(err)]
            return [f"{target.label}: {problem}" for problem in problems]

        with ThreadPoolExecutor(max_workers=PREFLIGHT_THREADS) as pool:
            problems = [problem for found in pool.map(check, self.targets) for problem in found]
        if problems:
            raise FlightdeckError(
                f"Preflight found {len(problems)} problem(s); nothing was deployed:\n" + "\n".join(problems)
            )
        self.log.info("Preflight: %d target(s) ready", len(self.targets))
        return {"targets": len(self.targets)}
