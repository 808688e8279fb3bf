"""Template helpers: parameter references filled in, so two templates compare by what they deploy."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")
_LIST_TYPES = ("CommaDelimitedList", "List<")


def canonical(value: Any) -> str:
    """The one JSON text of ``value``: sorted keys, no insignificant whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def shown(value: Any) -> str:
    """A template value as text for a sentence: ``!Ref X``, ``!GetAtt X.Arn``, ``!Sub ...``, else JSON."""
    if isinstance(value, str):
        return value
    if is_function(value):
        ((name, argument),) = value.items()
        if name == "Fn::GetAtt" and isinstance(argument, list):
            argument = ".".join(str(part) for part in argument)
        if isinstance(argument, str) and name in ("Ref", "Fn::GetAtt", "Fn::Sub", "Fn::ImportValue"):
            return f"!{name.removeprefix('Fn::')} {argument}"
    return canonical(value)


def is_function(value: Any) -> bool:
    """Whether ``value`` is a ``Ref`` or ``Fn::`` function call."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    name = str(next(iter(value)))
    return name == "Ref" or name.startswith("Fn::")


def is_intrinsic(value: Any) -> bool:
    """Whether ``value`` holds a ``Ref`` or ``Fn::`` function left unresolved, at any depth."""
    if isinstance(value, dict):
        return is_function(value) or any(is_intrinsic(item) for item in value.values())
    if isinstance(value, list):
        return any(is_intrinsic(item) for item in value)
    return False


def secret_marker(name: str, *, changed: bool) -> str:
    """What stands for a secret parameter in a resolved template: it tells whether it changed, never its value."""
    return f"<secret {name}{', changed' if changed else ''}>"


def resolved_resources(
    template: Mapping[str, Any] | None,
    parameters: Mapping[str, str],
    *,
    secrets: Collection[str] = (),
    changed_secrets: Collection[str] = (),
) -> dict[str, dict[str, Any]]:
    """The template's ``Resources``, with ``Ref``/``Fn::Sub`` of its parameters replaced by their values.

    Parameters not in ``parameters`` take the template's ``Default``. A secret is replaced by
    :func:`secret_marker`, so a changed secret still shows as a changed property but its value goes nowhere.
    """
    if not template:
        return {}
    declared = template.get("Parameters") or {}
    values: dict[str, Any] = {}
    for name in {*declared, *parameters}:
        spec = declared.get(name) or {}
        if name in secrets:
            values[name] = secret_marker(name, changed=name in changed_secrets)
            continue
        value = parameters.get(name, spec.get("Default") if isinstance(spec, dict) else None)
        if value is None:
            continue
        is_list = isinstance(spec, dict) and str(spec.get("Type", "")).startswith(_LIST_TYPES)
        values[name] = [item.strip() for item in str(value).split(",")] if is_list else str(value)
    resources = template.get("Resources") or {}
    return {
        logical_id: _substitute(resource, values)
        for logical_id, resource in resources.items()
        if isinstance(resource, dict)
    }


def no_echo_parameters(*templates: Mapping[str, Any] | None) -> set[str]:
    """Names of the parameters declared ``NoEcho`` in any of ``templates``."""
    return {
        name
        for template in templates
        if template
        for name, spec in (template.get("Parameters") or {}).items()
        if isinstance(spec, dict) and str(spec.get("NoEcho", "")).lower() == "true"
    }


def changed_outputs(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> tuple[str, ...]:
    """Names of the outputs added, removed or changed, sorted."""
    before, after = (old or {}).get("Outputs") or {}, new.get("Outputs") or {}
    return tuple(sorted(name for name in {*before, *after} if before.get(name) != after.get(name)))


def _substitute(node: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_substitute(item, values) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((key, argument),) = node.items()
        if key == "Ref" and isinstance(argument, str) and argument in values:
            return values[argument]
        if key == "Fn::Sub":
            return _substitute_sub(argument, values)
    return {key: _substitute(value, values) for key, value in node.items()}


def _substitute_sub(argument: Any, values: Mapping[str, Any]) -> Any:
    """``Fn::Sub`` with the parameters it names filled in; a plain string once nothing is left to fill."""
    if isinstance(argument, str):
        text, local = argument, {}
    elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
        text, local = argument[0], _substitute(argument[1], values)
    else:
        return {"Fn::Sub": _substitute(argument, values)}
    known = {**values, **local} if isinstance(local, dict) else dict(values)

    def fill(match: re.Match[str]) -> str:
        value = known.get(match.group(1))
        return value if isinstance(value, str) else match.group(0)

    filled = _SUB_VARIABLE.sub(fill, text)
    if not _SUB_VARIABLE.search(filled):
        return filled.replace("${!", "${")
    if isinstance(local, dict) and local:
        return {"Fn::Sub": [filled, local]}
    return {"Fn::Sub": filled}
