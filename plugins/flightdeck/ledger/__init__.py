"""The release ledger: every deployment attempt, recorded durably in a SQL database of its own (docs/ledger.md)."""

from __future__ import annotations

from flightdeck.ledger.connection import default_url, ledger_url
from flightdeck.ledger.migrate import upgrade
from flightdeck.ledger.records import (
    Attempt,
    AttemptKind,
    DriftedResource,
    DriftStatus,
    Durations,
    LedgerError,
    Outcome,
    Override,
    SucceededRelease,
)
from flightdeck.ledger.repository import Ledger

__all__ = [
    "Attempt",
    "AttemptKind",
    "DriftStatus",
    "DriftedResource",
    "Durations",
    "Ledger",
    "LedgerError",
    "Outcome",
    "Override",
    "SucceededRelease",
    "default_url",
    "ledger_url",
    "upgrade",
]
