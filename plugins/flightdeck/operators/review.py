"""A target's change review: what its change set changes, and the fingerprint an approval binds to."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flightdeck.aws.change_review import ChangeSetSnapshot, snapshot_change_set
from flightdeck.aws.session import AccountSession
from flightdeck.changes import ChangeSummary, fingerprint, summarize_changes
from flightdeck.plan import Target


@dataclass(frozen=True)
class Review:
    """One change set under review.

    :param change_set_id: the change set's ARN.
    :param summary: what it changes.
    :param fingerprint: hash of its template, parameters (secrets as version ids) and summary.
    :param stack_changed_at: when an operation last changed the stack reviewed against (empty: no stack yet).
    """

    change_set_id: str
    summary: ChangeSummary
    fingerprint: str
    stack_changed_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (an XCom value); no parameter value of a secret is in it."""
        return {
            "change_set_id": self.change_set_id,
            "summary": self.summary.to_dict(),
            "fingerprint": self.fingerprint,
            "stack_changed_at": self.stack_changed_at,
        }


def review_change_set(
    session: AccountSession,
    target: Target,
    change_set_id: str,
    parameter_versions: Mapping[str, str],
    pages: Sequence[Mapping[str, Any]] | None = None,
) -> Review:
    """Read the change set (unless ``pages`` of ``DescribeChangeSet`` are given) and its stack, and review them."""
    snapshot = snapshot_change_set(session, stack_name=target.stack_name, change_set_id=change_set_id, pages=pages)
    return review_snapshot(snapshot, target, parameter_versions)


def review_snapshot(snapshot: ChangeSetSnapshot, target: Target, parameter_versions: Mapping[str, str]) -> Review:
    """The review of a change set read from AWS; the same snapshot always gives the same fingerprint.

    :param parameter_versions: parameter name → where its value came from (``secretsmanager:<name>@<version>``):
        a secret enters the fingerprint as its version, never as its value.
    """
    secrets = {parameter.name for parameter in target.parameters if parameter.kind == "secretsmanager"}
    summary = summarize_changes(
        snapshot.changes,
        old_template=snapshot.old_template,
        new_template=snapshot.new_template,
        old_parameters=snapshot.old_parameters,
        new_parameters=snapshot.new_parameters,
        secret_parameters=secrets,
        parameter_versions=parameter_versions,
        old_tags=snapshot.old_tags,
        new_tags=snapshot.new_tags,
    )
    hashed = {
        name: f"secret {parameter_versions.get(name, '')}" if name in secrets else value
        for name, value in snapshot.new_parameters.items()
    }
    parameters_sha256 = hashlib.sha256(json.dumps(hashed, sort_keys=True).encode()).hexdigest()
    return Review(
        change_set_id=snapshot.change_set_id,
        summary=summary,
        fingerprint=fingerprint(snapshot.template_sha256, parameters_sha256, summary),
        stack_changed_at=snapshot.stack_changed_at,
    )
