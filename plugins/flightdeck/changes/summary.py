"""One target's change summary: the change set's ``Changes``, completed by comparing the two templates."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from flightdeck.changes.iam import iam_flags
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
from flightdeck.changes.network import network_flags
from flightdeck.changes.resources import compare_resources, stateful_flags
from flightdeck.changes.templates import canonical, changed_outputs, no_echo_parameters, resolved_resources

_FLAG_ORDER = {kind: index for index, kind in enumerate(FlagKind)}


def summarize_changes(
    changes: Sequence[Mapping[str, Any]],
    *,
    old_template: Mapping[str, Any] | None,
    new_template: Mapping[str, Any],
    old_parameters: Mapping[str, str] | None = None,
    new_parameters: Mapping[str, str] | None = None,
    secret_parameters: Collection[str] = (),
    parameter_versions: Mapping[str, str] | None = None,
    old_tags: Mapping[str, str] | None = None,
    new_tags: Mapping[str, str] | None = None,
) -> ChangeSummary:
    """What a change set changes in one target, and which of it needs a person.

    The change set's ``Changes`` come first; comparing the templates (with their parameter references filled in)
    adds what they leave out, such as replacement, changed properties, or every change when they are empty (the
    local emulator gives no ``Replacement`` and nothing for a parameter-only change). Where both speak of a
    resource, the change set's action and ``Replacement`` win.

    :param changes: ``Changes`` of ``cloudformation:DescribeChangeSet`` (every page), as boto3 returns them.
    :param old_template: the deployed template (``GetTemplate``), ``None`` for a new stack.
    :param new_template: the template the change set deploys.
    :param old_parameters: the deployed stack's parameters (name → value). Pass all of them: one left out takes
        the template's ``Default``, and the templates would seem to differ where they do not.
    :param new_parameters: the change set's parameters.
    :param secret_parameters: parameters whose values are never shown (``NoEcho`` ones are added). Secrets are
        compared by the values given: pass version ids or hashes rather than the secret itself.
    :param parameter_versions: name → version marker of the new value (``secretsmanager:<id>@<VersionId>``),
        shown for secrets instead of a value.
    :param old_tags: the deployed stack's tags.
    :param new_tags: the change set's tags.
    """
    old_values, new_values = dict(old_parameters or {}), dict(new_parameters or {})
    secrets = set(secret_parameters) | no_echo_parameters(old_template, new_template)
    changed_secrets = {name for name in secrets if old_values.get(name) != new_values.get(name)}
    old = resolved_resources(old_template, old_values, secrets=secrets)
    new = resolved_resources(new_template, new_values, secrets=secrets, changed_secrets=changed_secrets)
    resources = _merge(_reported(changes), compare_resources(old, new))
    flags = stateful_flags(resources, old, new) + iam_flags(resources, old, new) + network_flags(old, new)
    return ChangeSummary(
        resources=resources,
        parameters=_parameter_changes(old_values, new_values, secrets, parameter_versions or {}),
        tags=_tag_changes(old_tags or {}, new_tags or {}),
        outputs=changed_outputs(old_template, new_template),
        flags=tuple(sorted(flags, key=_flag_key)),
    )


def fingerprint(template_sha256: str, parameters_sha256: str, summary: ChangeSummary) -> str:
    """SHA-256 (hex) binding an approval to what was shown: the template, the parameters and the summary.

    Computed over canonical JSON with every list sorted, so it is the same after a ``to_dict``/``from_dict`` round
    trip and whatever the order of keys or items.
    """
    data = {key: sorted(items, key=canonical) for key, items in summary.to_dict().items()}
    payload = {"template_sha256": template_sha256, "parameters_sha256": parameters_sha256, "summary": data}
    return hashlib.sha256(canonical(payload).encode()).hexdigest()


def _reported(changes: Sequence[Mapping[str, Any]]) -> dict[str, ResourceChange]:
    """The change set's resource changes by logical id; each detail's property (or attribute) name kept."""
    reported = {}
    for change in changes:
        resource = change.get("ResourceChange") or {}
        logical_id = resource.get("LogicalResourceId")
        if change.get("Type", "Resource") != "Resource" or not logical_id:
            continue
        names = set()
        for detail in resource.get("Details") or ():
            target = detail.get("Target") or {}
            attribute = target.get("Attribute")
            names.add(target.get("Name") if attribute == "Properties" and target.get("Name") else attribute)
        if not names:
            names = {scope for scope in resource.get("Scope") or () if scope != "Properties"}
        reported[logical_id] = ResourceChange(
            action=str(resource.get("Action", "")),
            logical_id=logical_id,
            resource_type=str(resource.get("ResourceType", "")),
            replacement=str(resource.get("Replacement", "")),
            source="change-set",
            properties=tuple(sorted(name for name in names if name)),
        )
    return reported


def _merge(
    reported: Mapping[str, ResourceChange], inferred: Mapping[str, ResourceChange]
) -> tuple[ResourceChange, ...]:
    merged = []
    for logical_id in sorted({*reported, *inferred}):
        cfn, template = reported.get(logical_id), inferred.get(logical_id)
        if cfn is None or template is None:
            merged.append(cfn or template)
            continue
        merged.append(
            ResourceChange(
                action=cfn.action,
                logical_id=logical_id,
                resource_type=cfn.resource_type or template.resource_type,
                replacement=cfn.replacement or template.replacement,
                source="both",
                properties=tuple(sorted({*cfn.properties, *template.properties})),
                previous_type=template.previous_type,
            )
        )
    return tuple(change for change in merged if change is not None)


def _parameter_changes(
    old: Mapping[str, str], new: Mapping[str, str], secrets: Collection[str], versions: Mapping[str, str]
) -> tuple[ParameterChange, ...]:
    changes = []
    for name in sorted({*old, *new}):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if name not in secrets:
            changes.append(ParameterChange(name, before, after))
            continue
        version = versions.get(name, "")
        changes.append(
            ParameterChange(
                name,
                None if before is None else SECRET_MASK,
                None if after is None else SECRET_CHANGED if before is not None else SECRET_MASK,
                secret=True,
                # A version marker is shown; a value passed there by mistake is not.
                version=version if version not in (before, after) else "",
            )
        )
    return tuple(changes)


def _tag_changes(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[TagChange, ...]:
    return tuple(
        TagChange(key, old.get(key), new.get(key)) for key in sorted({*old, *new}) if old.get(key) != new.get(key)
    )


def _flag_key(flag: Flag) -> tuple[int, str, str]:
    return _FLAG_ORDER[flag.kind], flag.logical_id, flag.message
