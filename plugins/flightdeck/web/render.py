"""HTML of the Releases page: Jinja2 templates with autoescaping, inline CSS, nothing fetched from elsewhere."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flightdeck.ledger import Attempt, AttemptKind, Outcome

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_STATUS_LABELS = {
    Outcome.IN_PROGRESS: "in progress",
    Outcome.SUCCEEDED: "succeeded",
    Outcome.FAILED: "failed",
    Outcome.ROLLED_BACK: "rolled back",
    Outcome.NEVER_STARTED: "never started",
}


def age(moment: datetime, now: datetime | None = None) -> str:
    """How long ago ``moment`` was, roughly: ``just now``, ``42 s ago``, ``5 min ago``, ``3 h ago``, ``2 d ago``."""
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 5:
        return "just now"
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def status_label(attempt: Attempt) -> str:
    """The ledger outcome in words; an attempt that is no deploy says what it was (a rollback, to which version;
    a refresh, whether it found drift)."""
    label = _STATUS_LABELS.get(attempt.outcome, str(attempt.outcome).replace("_", " "))
    if attempt.kind is AttemptKind.DEPLOY:
        return label
    kind = str(attempt.kind)
    if attempt.kind is AttemptKind.ROLLBACK and attempt.rolled_back_to_version:
        kind = f"rollback to {attempt.rolled_back_to_version}"
    drift = getattr(attempt, "drift_status", None)  # refresh attempts record the drift they found
    if drift is not None and str(drift) == "DRIFTED":
        kind = f"{kind}, drift found"
    return f"{kind}: {label}"


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment is not None else ""


def _short(value: str | None, keep: int = 12) -> str:
    """A digest or ARN cut for a table cell (the full value is in the cell's title and the JSON API)."""
    if not value:
        return ""
    tail = value.rsplit("/", 1)[-1].removeprefix("sha256:")
    return tail if len(tail) <= keep else tail[:keep] + "…"


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(age=age, utc=_utc, short=_short, status=status_label)
    return environment


_JINJA = _environment()


def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered as a response whose Content-Security-Policy allows nothing but itself.

    Inline styles are allowed; the one inline script (opening Airflow links in the main window when embedded)
    runs by its per-response nonce. Frames: only the Airflow UI on the same origin may embed the page.
    """
    nonce = secrets.token_urlsafe(16)
    html = _JINJA.get_template(template).render(nonce=nonce, now=datetime.now(UTC), **context)
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        f"script-src 'nonce-{nonce}'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
    )
    headers = {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-store",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }
    return HTMLResponse(html, status_code=status_code, headers=headers)
