"""The Markdown an approver reads for one wave: warnings first, then every target, then each target's details."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flightdeck.changes.models import ChangeSummary, ParameterChange, ResourceChange, TagChange

_MAX_VALUE = 120
_REPLACEMENT = {"True": "**yes**", "Conditional": "**maybe**", "False": "no"}


@dataclass(frozen=True)
class TargetReview:
    """One target of the wave under review.

    :param label: the target's label (``environment/account/region``).
    :param stack_name: its stack.
    :param change_set_id: the change set's ARN.
    :param change_set_name: the change set's name.
    :param change_set_type: ``CREATE`` or ``UPDATE``.
    :param summary: what the change set changes.
    """

    label: str
    stack_name: str
    change_set_id: str
    change_set_name: str
    change_set_type: str
    summary: ChangeSummary

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "stack_name": self.stack_name,
            "change_set_id": self.change_set_id,
            "change_set_name": self.change_set_name,
            "change_set_type": self.change_set_type,
            "summary": self.summary.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TargetReview:
        return cls(**{**data, "summary": ChangeSummary.from_dict(data["summary"])})


def review_markdown(
    targets: Sequence[TargetReview],
    *,
    version: str,
    triggered_by: str | None,
    approvers: Sequence[str],
    run_link: str,
    execution_hint: str | None = None,
) -> str:
    """The approval gate's body for one wave: warnings, a table of the targets, their details, the run link."""
    lines = [
        f"**Version {_code(version)}**, triggered by {_code(triggered_by or 'unknown')}. "
        f"May approve: {', '.join(_code(user) for user in approvers) or 'nobody'}.",
        "",
    ]
    warnings = [f"- ⚠️ **{_cell(t.label)}**: {flag.message}" for t in targets for flag in t.summary.flags]
    if warnings:
        lines += ["### ⚠️ Warnings", "", *warnings, ""]
    else:
        lines += [
            "No warnings: no stateful resource is removed or replaced, and IAM and network access do not widen.",
            "",
        ]
    lines += ["### Targets", "", "| target | stack | type | changes | change set |", "|---|---|---|---|---|"]
    for target in targets:
        kind = "—" if target.summary.is_empty else target.change_set_type
        change_set = _code(target.change_set_id) if target.change_set_id else "—"
        lines.append(
            f"| {_cell(target.label)} | {_cell(target.stack_name)} | {kind} | {_cell(target.summary.headline())} "
            f"| {change_set} |"
        )
    lines.append("")
    for target in targets:
        if not target.summary.is_empty:
            lines += _details(target)
    lines.append(f"[Open the run]({run_link})")
    if execution_hint:
        lines += ["", execution_hint]
    return "\n".join(lines)


def _details(target: TargetReview) -> list[str]:
    summary = target.summary
    lines = [
        f"### {_cell(target.label)}",
        "",
        f"Stack {_code(target.stack_name)}, {target.change_set_type} change set {_code(target.change_set_name)}.",
        "",
    ]
    if summary.resources:
        lines += ["| action | resource | type | replaced | what changes |", "|---|---|---|---|---|"]
        lines += [_resource_row(change) for change in summary.resources]
        lines.append("")
    if summary.parameters:
        lines += ["| parameter | before | after |", "|---|---|---|"]
        lines += [_parameter_row(change) for change in summary.parameters]
        lines.append("")
    if summary.tags:
        lines += ["| tag | before | after |", "|---|---|---|"]
        lines += [_tag_row(change) for change in summary.tags]
        lines.append("")
    if summary.outputs:
        lines += [f"Outputs changed: {', '.join(_code(name) for name in summary.outputs)}.", ""]
    return lines


def _resource_row(change: ResourceChange) -> str:
    kind = f"{change.previous_type} → {change.resource_type}" if change.previous_type else change.resource_type
    replaced = _REPLACEMENT.get(change.replacement, "unknown") if change.action == "Modify" else "—"
    changed = ", ".join(change.properties) or "—"
    return f"| {change.action} | {_code(change.logical_id)} | {kind} | {replaced} | {_cell(changed)} |"


def _parameter_row(change: ParameterChange) -> str:
    if change.secret:
        after = change.after or "—"
        if change.version:
            after += f", now {_code(change.version)}"
        return f"| {_code(change.name)} | {change.before or '—'} | {after} |"
    return f"| {_code(change.name)} | {_value(change.before)} | {_value(change.after)} |"


def _tag_row(change: TagChange) -> str:
    return f"| {_code(change.key)} | {_value(change.before)} | {_value(change.after)} |"


def _value(value: str | None) -> str:
    if value is None:
        return "—"
    if not value:
        return "(empty)"
    return _code(value if len(value) <= _MAX_VALUE else value[:_MAX_VALUE] + "…")


def _code(text: str) -> str:
    """``text`` as inline code that survives a table cell (backticks inside, pipes, line breaks)."""
    text = _cell(text)
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


def _cell(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").replace("|", "\\|")
