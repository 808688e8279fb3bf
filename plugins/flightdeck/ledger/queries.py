"""The ledger's read queries (SQL that runs the same on SQLite and PostgreSQL) and rows turned into records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.engine import Row

from flightdeck.ledger.records import (
    Attempt,
    AttemptKind,
    DriftedResource,
    DriftStatus,
    Durations,
    Outcome,
    Override,
    SucceededRelease,
)
from flightdeck.ledger.schema import deployments, promotion_overrides

_TARGET = (
    deployments.c.application,
    deployments.c.environment,
    deployments.c.account_id,
    deployments.c.region,
)
_NEWEST_FIRST = (deployments.c.started_at.desc(), deployments.c.id.desc())


def by_id(attempt_id: int) -> Select[Any]:
    """One attempt by id."""
    return select(deployments).where(deployments.c.id == attempt_id)


def by_key(
    *, dag_id: str, run_id: str, environment: str, account_id: str, region: str, kind: AttemptKind
) -> Select[Any]:
    """The attempt of one run, target and kind: the idempotency key of ``start_attempt``."""
    c = deployments.c
    return select(deployments).where(
        c.dag_id == dag_id,
        c.run_id == run_id,
        c.environment == environment,
        c.account_id == account_id,
        c.region == region,
        c.kind == kind.value,
    )


def release(application: str, environment: str, version: str) -> Select[Any]:
    """Every deploy attempt of a version in an environment, of every run, oldest first."""
    c = deployments.c
    return (
        select(deployments)
        .where(
            c.application == application,
            c.environment == environment,
            c.version == version,
            c.kind == AttemptKind.DEPLOY.value,
        )
        .order_by(c.started_at, c.id)
    )


def latest_by_target(application: str | None, environment: str | None) -> Select[Any]:
    """The newest attempt (latest start, then highest id) per (application, environment, account, region)."""
    rank = func.row_number().over(partition_by=_TARGET, order_by=_NEWEST_FIRST).label("rank")
    ranked = select(*deployments.c, rank)
    if application is not None:
        ranked = ranked.where(deployments.c.application == application)
    if environment is not None:
        ranked = ranked.where(deployments.c.environment == environment)
    newest = ranked.subquery()
    return (
        select(*(newest.c[column.name] for column in deployments.c))
        .where(newest.c.rank == 1)
        .order_by(*(newest.c[column.name] for column in _TARGET))
    )


def history(
    application: str, environment: str | None, account_id: str | None, region: str | None, limit: int
) -> Select[Any]:
    """An application's attempts, filtered by whichever of environment, account and region are given, newest first."""
    statement = select(deployments).where(deployments.c.application == application)
    for column, value in (
        (deployments.c.environment, environment),
        (deployments.c.account_id, account_id),
        (deployments.c.region, region),
    ):
        if value is not None:
            statement = statement.where(column == value)
    return statement.order_by(*_NEWEST_FIRST).limit(limit)


def last_durations(application: str, environment: str, account_id: str, region: str, stack_name: str) -> Select[Any]:
    """Per duration column, its value in the newest attempt (latest start, then highest id) of a stack that has one."""
    c = deployments.c
    target = (
        c.application == application,
        c.environment == environment,
        c.account_id == account_id,
        c.region == region,
        c.stack_name == stack_name,
    )
    return select(
        *(
            select(column)
            .where(*target, column.is_not(None))
            .order_by(*_NEWEST_FIRST)
            .limit(1)
            .scalar_subquery()
            .label(column.name)
            for column in (c.change_set_seconds, c.operation_seconds)
        )
    )


def succeeded(
    application: str, environment: str, *, version: str | None = None, artifact_digest: str | None = None
) -> Select[Any]:
    """Per run and version: its deploy attempts in the environment, kept if all succeeded with one digest.

    ``count(artifact_digest)`` skips NULLs, so a target that never got a digest (it never started) fails the
    "one digest for all" test as it fails the "all succeeded" one.
    """
    c = deployments.c
    attempts = func.count()
    succeeded_attempts = func.sum(case((c.outcome == Outcome.SUCCEEDED.value, 1), else_=0))
    digest = func.min(c.artifact_digest)
    finished_at = func.max(c.finished_at)
    statement = (
        select(
            c.version,
            digest.label("artifact_digest"),
            c.dag_id,
            c.run_id,
            attempts.label("targets"),
            finished_at.label("finished_at"),
        )
        .where(c.application == application, c.environment == environment, c.kind == AttemptKind.DEPLOY.value)
        .group_by(c.dag_id, c.run_id, c.version)
        .having(
            attempts == succeeded_attempts,
            func.count(c.artifact_digest) == attempts,
            func.min(c.artifact_digest) == func.max(c.artifact_digest),
        )
        .order_by(finished_at.desc(), c.run_id.desc())
    )
    if version is not None:
        statement = statement.where(c.version == version)
    if artifact_digest is not None:
        statement = statement.having(digest == artifact_digest)
    return statement


def overrides(application: str, environment: str | None, version: str | None) -> Select[Any]:
    """An application's promotion overrides, filtered by environment and version if given, newest first."""
    statement = select(promotion_overrides).where(promotion_overrides.c.application == application)
    if environment is not None:
        statement = statement.where(promotion_overrides.c.environment == environment)
    if version is not None:
        statement = statement.where(promotion_overrides.c.version == version)
    return statement.order_by(promotion_overrides.c.created_at.desc(), promotion_overrides.c.id.desc())


def attempt_of(row: Row[Any]) -> Attempt:
    values = row._asdict()
    return Attempt(
        **{
            **values,
            "kind": AttemptKind(values["kind"]),
            "outcome": Outcome(values["outcome"]),
            "parameter_versions": dict(values["parameter_versions"] or {}),
            "drift_status": DriftStatus(values["drift_status"]) if values["drift_status"] else None,
            "drifted_resources": (
                None
                if values["drifted_resources"] is None
                else tuple(DriftedResource.from_json(item) for item in values["drifted_resources"])
            ),
            "change_set_seconds": _seconds(values["change_set_seconds"]),
            "operation_seconds": _seconds(values["operation_seconds"]),
        }
    )


def override_of(row: Row[Any]) -> Override:
    return Override(**row._asdict())


def durations_of(row: Row[Any]) -> Durations:
    return Durations(**{name: _seconds(value) for name, value in row._asdict().items()})


def succeeded_of(row: Row[Any]) -> SucceededRelease:
    return SucceededRelease(**row._asdict())


def _seconds(value: float | None) -> float | None:
    """A duration as a float: SQLite's RETURNING gives 90.0 back as 90 (its REAL columns store whole numbers so)."""
    return None if value is None else float(value)
