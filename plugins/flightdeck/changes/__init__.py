"""Change review: what a change set changes in each target, what of it needs a person, and the gate's Markdown.

Pure: no boto3 and no Airflow. Callers pass what ``DescribeChangeSet``, ``GetTemplate`` and ``DescribeStacks``
return; the summary goes into XCom through :meth:`ChangeSummary.to_dict`. The manifest's ``approval.auto_approve``
reads the summaries through :func:`auto_approves`: ``never`` always asks a person, ``empty`` passes when every
target :attr:`~ChangeSummary.is_empty`, ``benign`` when every target :attr:`~ChangeSummary.is_benign`; a flag
(:attr:`~ChangeSummary.needs_person`) is never benign.
"""

from __future__ import annotations

from flightdeck.changes.gate import auto_approves
from flightdeck.changes.markdown import TargetReview, review_markdown
from flightdeck.changes.models import (
    SECRET_CHANGED,
    SECRET_MASK,
    ChangeSummary,
    Flag,
    FlagKind,
    ParameterChange,
    ResourceChange,
    TagChange,
)
from flightdeck.changes.resources import REPLACEMENT_PROPERTIES, STATEFUL_TYPES
from flightdeck.changes.summary import fingerprint, summarize_changes

__all__ = [
    "REPLACEMENT_PROPERTIES",
    "SECRET_CHANGED",
    "SECRET_MASK",
    "STATEFUL_TYPES",
    "ChangeSummary",
    "Flag",
    "FlagKind",
    "ParameterChange",
    "ResourceChange",
    "TagChange",
    "TargetReview",
    "auto_approves",
    "fingerprint",
    "review_markdown",
    "summarize_changes",
]
