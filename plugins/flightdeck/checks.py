"""Pure evaluation of smoke-check expectations against what a deployed target answered."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

JsonPath = tuple[str | int, ...]
_JSON_PATH = re.compile(r"(?:[^.\[\]]+|\[-?[0-9]+\])(?:\.[^.\[\]]+|\[-?[0-9]+\])*")
_STEP = re.compile(r"\[(-?[0-9]+)\]|([^.\[\]]+)")
JSON_PATH_RULE = "keys joined by dots, with [n] for list items, like data.items[0].id"


class JsonPathError(LookupError):
    """A JSON path leads nowhere in a document; the message says where it stopped."""


def expected_value(value: Any, context: Mapping[str, str]) -> Any:
    """Fill ``{environment}``, ``{account_id}``, ``{region}``, ``{version}`` placeholders in a string."""
    return value.format_map(context) if isinstance(value, str) else value


def same_json(actual: Any, wanted: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, and ``1`` equals ``1.0``."""
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return isinstance(actual, bool) and isinstance(wanted, bool) and actual == wanted
    return actual == wanted


def failed_expectations(answer: Any, expect: Iterable[tuple[str, Any]], context: Mapping[str, str]) -> list[str]:
    """Each expected top-level field of ``answer`` that is missing or different, as a sentence."""
    if not isinstance(answer, Mapping):
        return [f"expected a JSON object, got {type(answer).__name__}: {answer!r:.200}"]
    problems = []
    for field, raw in expect:
        wanted = expected_value(raw, context)
        if field not in answer:
            problems.append(f"field {field!r} missing (expected {wanted!r})")
        elif not same_json(answer[field], wanted):
            problems.append(f"field {field!r} is {answer[field]!r}, expected {wanted!r}")
    return problems


def missing_outputs(outputs: Mapping[str, str], required: Iterable[str]) -> list[str]:
    """Required stack outputs that the stack does not have."""
    return [f"stack output {name!r} missing" for name in required if name not in outputs]


def parse_json_path(path: str) -> JsonPath:
    """``"data.items[0].id"`` → ``("data", "items", 0, "id")``; a path may start with ``[n]``.

    :raises ValueError: when the text is not such a path.
    """
    if not _JSON_PATH.fullmatch(path):
        raise ValueError(f"JSON path {path!r} is not valid: write {JSON_PATH_RULE}")
    return tuple(int(match[1]) if match[1] is not None else match[2] for match in _STEP.finditer(path))


def json_path_value(document: Any, path: str) -> Any:
    """The value at ``path`` (see :func:`parse_json_path`) in a decoded JSON document.

    :raises JsonPathError: naming the step that leads nowhere (a missing key, an index past the end, a step into
        text or a number).
    """
    value = document
    steps = parse_json_path(path)
    for depth, step in enumerate(steps):
        reached = _format_path(steps[:depth])
        if isinstance(step, int):
            if not isinstance(value, list | tuple):
                raise JsonPathError(f"{reached} is {json_kind(value)}, not a list, so it has no [{step}]")
            if not -len(value) <= step < len(value):
                raise JsonPathError(f"{reached} has {len(value)} item{'s' if len(value) != 1 else ''}, no [{step}]")
        elif not isinstance(value, Mapping):
            raise JsonPathError(f"{reached} is {json_kind(value)}, not an object, so it has no key {step!r}")
        elif step not in value:
            keys = ", ".join(sorted(map(str, value))[:10]) or "none"
            raise JsonPathError(f"{reached} has no key {step!r} (its keys: {keys})")
        value = value[step]
    return value


def _format_path(steps: JsonPath) -> str:
    """Steps back as path text; no steps is the answer itself."""
    text = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in steps).removeprefix(".")
    return text or "the answer"


def failed_json_expectations(answer: Any, expect: Iterable[tuple[str, Any]], context: Mapping[str, str]) -> list[str]:
    """Each JSON path of ``expect`` that leads nowhere in ``answer`` or holds another value, as a sentence."""
    problems = []
    for path, raw in expect:
        wanted = expected_value(raw, context)
        try:
            actual = json_path_value(answer, path)
        except JsonPathError as err:
            problems.append(f"{path} missing: {err}; expected {wanted!r}")
            continue
        if not same_json(actual, wanted):
            problems.append(f"{path} is {actual!r:.200}, expected {wanted!r}")
    return problems


def json_kind(value: Any) -> str:
    """What a decoded JSON value is, as a sentence says it: ``null``, ``text``, ``a number``, ``an object``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    return "a list" if isinstance(value, list | tuple) else type(value).__name__
