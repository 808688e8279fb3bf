"""The JSON API's bodies: the ledger's attempts as plain JSON, with links to the Airflow UI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime
from enum import Enum
from typing import Any

from flightdeck.ledger import Attempt
from flightdeck.web.links import Links
from flightdeck.web.releases import History, Matrix


def attempt_json(attempt: Attempt, links: Links) -> dict[str, Any]:
    """One attempt: every field the ledger records (timestamps in ISO 8601, UTC; enums as their values) and its
    links. Fields the ledger adds later (drift, say) come along without a change here."""
    body = {field.name: _json_value(getattr(attempt, field.name)) for field in fields(attempt)}
    body["links"] = {
        "run": links.run(attempt),
        "required_actions": links.run_required_actions(attempt),
        "history": links.target_history(attempt),
    }
    return body


def matrix_json(matrix: Matrix, links: Links, application: str | None, environment: str | None) -> dict[str, Any]:
    """``GET /api/releases``: the newest attempt per target, newest first."""
    return {
        "recorded": matrix.recorded,
        "filters": {"application": application, "environment": environment},
        "applications": list(matrix.applications),
        "environments": list(matrix.environments),
        "targets": [attempt_json(attempt, links) for attempt in matrix.targets],
    }


def history_json(
    history: History, links: Links, application: str, filters: dict[str, str | None], limit: int
) -> dict[str, Any]:
    """``GET /api/releases/<application>/history``: the application's attempts, newest first."""
    return {
        "recorded": history.recorded,
        "application": application,
        "filters": filters,
        "limit": limit,
        "attempts": [attempt_json(attempt, links) for attempt in history.attempts],
    }


def _json_value(value: Any) -> Any:
    """A record field as JSON: datetimes in ISO 8601, enums as values, records by their ``to_json``."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if callable(getattr(value, "to_json", None)):
        return value.to_json()
    return value
