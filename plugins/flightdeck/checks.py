"""Pure evaluation of smoke-check expectations against what a deployed target answered."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def expected_value(value: Any, context: Mapping[str, str]) -> Any:
    """Fill ``{environment}``, ``{account_id}``, ``{region}``, ``{version}`` placeholders in a string."""
    return value.format_map(context) if isinstance(value, str) else value


def failed_expectations(answer: Any, expect: Iterable[tuple[str, Any]], context: Mapping[str, str]) -> list[str]:
    """Each expected top-level field of ``answer`` that is missing or different, as a sentence."""
    if not isinstance(answer, Mapping):
        return [f"expected a JSON object, got {type(answer).__name__}: {answer!r:.200}"]
    problems = []
    for field, raw in expect:
        wanted = expected_value(raw, context)
        if field not in answer:
            problems.append(f"field {field!r} missing (expected {wanted!r})")
        elif answer[field] != wanted:
            problems.append(f"field {field!r} is {answer[field]!r}, expected {wanted!r}")
    return problems


def missing_outputs(outputs: Mapping[str, str], required: Iterable[str]) -> list[str]:
    """Required stack outputs that the stack does not have."""
    return [f"stack output {name!r} missing" for name in required if name not in outputs]
