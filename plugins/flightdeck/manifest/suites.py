"""Read a Great Expectations suite file of a smoke test: its shape checked without importing the library."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flightdeck.manifest.fields import describe_type, did_you_mean, invalid

SUITE_KEYS = ("expectations", "id", "meta", "name", "notes", "suite_parameters")
EXPECTATION_KEYS = ("description", "id", "kwargs", "meta", "notes", "rendered_content", "severity", "type")
_GENERATED = ("id", "rendered_content")  # written by Great Expectations when it saves a suite; not needed to run
_TYPE = re.compile(r"expect_[a-z0-9_]+")
_EXAMPLE = (
    '{"name": "greeting", "expectations": [{"type": "expect_column_values_to_not_be_null", '
    '"kwargs": {"column": "status"}}]}'
)
_RENAMED = {  # keys of Great Expectations 0.x suites and their 1.x names
    "expectation_suite_name": "name",
    "expectation_type": "type",
}


def read_suite(suite: str, base_dir: Path | None) -> dict[str, Any]:
    """The suite file ``suite`` (relative to ``base_dir``) as plain data: a name and its expectations.

    Keys Great Expectations generates when it saves a suite (``id``, ``rendered_content``) are left out.

    :raises PydanticCustomError: a teaching message pointing at the ``suite`` field.
    """
    path = Path(base_dir or ".") / suite
    where = f"suite file {suite!r}"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or err
        raise invalid(
            f"{where} cannot be read ({path}: {reason}); the path is relative to the folder of the manifest", "suite"
        ) from err
    except json.JSONDecodeError as err:
        message = f"{where} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
        raise invalid(message, "suite") from err
    if not isinstance(document, dict):
        raise invalid(f"{where} is {describe_type(document)}; a suite is a JSON object like {_EXAMPLE}", "suite")
    _known_keys(document, SUITE_KEYS, where)
    name = document.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise invalid(f"{where}: name must be non-empty text", "suite")
    expectations = document.get("expectations")
    if not isinstance(expectations, list) or not expectations:
        raise invalid(f"{where} has no expectations: list at least one, like {_EXAMPLE}", "suite")
    checked = [_expectation(item, f"{where}, expectations[{index}]") for index, item in enumerate(expectations)]
    result = {key: value for key, value in document.items() if key not in _GENERATED}
    result.update(name=name, expectations=checked)
    try:
        json.dumps(result, allow_nan=False)
    except ValueError as err:
        raise invalid(f"{where} must be plain JSON ({err}); write null instead of NaN", "suite") from err
    return result


def _expectation(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise invalid(f"{where} is {describe_type(item)}; an expectation is an object with type and kwargs", "suite")
    _known_keys(item, EXPECTATION_KEYS, where)
    kind = item.get("type")
    if not isinstance(kind, str) or not _TYPE.fullmatch(kind):
        shown = "missing" if kind is None else repr(kind)
        raise invalid(
            f"{where}: type is {shown}; write the expectation's name, like expect_column_values_to_not_be_null",
            "suite",
        )
    kwargs = item.get("kwargs", {})
    if not isinstance(kwargs, dict):
        raise invalid(f"{where} ({kind}): kwargs must be an object of the expectation's arguments", "suite")
    if not isinstance(item.get("meta", {}), dict):
        raise invalid(f"{where} ({kind}): meta must be an object", "suite")
    return {"kwargs": kwargs, **{key: value for key, value in item.items() if key not in _GENERATED}}


def _known_keys(document: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    for key in document:
        if key in known:
            continue
        if key in _RENAMED:
            raise invalid(
                f"{where}: {key!r} is how Great Expectations 0.x wrote it; this is 1.x: write {_RENAMED[key]!r}",
                "suite",
            )
        hint = did_you_mean(key, known) or f"; valid keys here: {', '.join(known)}"
        raise invalid(f"{where}: unknown key {key!r}{hint}", "suite")
