"""How a wave's change summaries meet the manifest's ``approval.auto_approve``."""

from __future__ import annotations

from collections.abc import Iterable

from flightdeck.changes.models import ChangeSummary


def auto_approves(auto_approve: str, summaries: Iterable[ChangeSummary]) -> bool:
    """Whether the gate may pass without a person.

    ``never``: a person always decides. ``empty``: only when every target's summary :attr:`~ChangeSummary.is_empty`.
    ``benign``: only when every target's summary :attr:`~ChangeSummary.is_benign` (empty ones are). A flag
    (:attr:`~ChangeSummary.needs_person`) is never benign, so it always brings a person, even where approval is
    not otherwise required.

    :raises ValueError: for another ``auto_approve`` value.
    """
    summaries = list(summaries)
    if auto_approve == "never":
        return False
    if auto_approve == "empty":
        return all(summary.is_empty for summary in summaries)
    if auto_approve == "benign":
        return all(summary.is_benign for summary in summaries)
    raise ValueError(f"auto_approve is never, empty or benign, not {auto_approve!r}")
