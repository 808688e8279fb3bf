"""The Markdown an approver reads: every target's change set, warnings first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def change_review_markdown(
    change_sets: Sequence[dict[str, Any]],
    *,
    version: str,
    triggered_by: str | None,
    approvers: Sequence[str],
    run_link: str,
) -> str:
    """Render the gate's body from the change-set XComs of one environment."""
    replacements = [
        f"`{cs['label']}` replaces `{change['logical_id']}` ({change['resource_type']})"
        for cs in change_sets
        for change in cs["changes"]
        if change.get("replacement") in ("True", "Conditional")
    ]
    removals = [
        f"`{cs['label']}` removes `{change['logical_id']}` ({change['resource_type']})"
        for cs in change_sets
        for change in cs["changes"]
        if change["action"] == "Remove"
    ]
    lines = [
        f"**Version `{version}`**, triggered by `{triggered_by or 'unknown'}`. "
        f"May approve: {', '.join(f'`{user}`' for user in approvers)}.",
        "",
    ]
    for warning in replacements + removals:
        lines.append(f"- ⚠️ {warning}")
    if replacements or removals:
        lines.append("")
    lines += ["| target | stack | type | changes | change set |", "|---|---|---|---|---|"]
    for cs in change_sets:
        changes = "<br>".join(f"{c['action']} `{c['logical_id']}` ({c['resource_type']})" for c in cs["changes"])
        kind = "—" if cs["is_empty"] else cs["change_set_type"]
        lines.append(f"| {cs['label']} | {cs['stack_name']} | {kind} | {changes or 'no changes'} | `{cs['name']}` |")
    lines += ["", f"[Open the run]({run_link})"]
    return "\n".join(lines)
