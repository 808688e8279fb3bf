"""The outcome of one smoke check on one target: a JSON-safe dict, for XComs, logs and rollback decisions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict


class CheckResult(TypedDict):
    """What one smoke check found on one target (plain JSON: an XCom value as it is).

    :param check: the check's name.
    :param kind: ``lambda``, ``http`` or ``expectations``.
    :param passed: whether the check found nothing wrong (``problems`` is empty).
    :param problems: what failed, one sentence each.
    :param details: what was measured; by kind: ``function``, ``status_code``, ``function_error``, ``latency_ms``
        (lambda); ``method``, ``url``, ``status_code``, ``latency_ms`` (http); the function's, plus ``suite``,
        ``rows`` and ``expectations``: one ``{"type", "column", "success", "unexpected_count", ...}`` per
        expectation, in suite order (expectations).
    """

    check: str
    kind: str
    passed: bool
    problems: list[str]
    details: dict[str, Any]


def check_result(
    check: str, kind: str, problems: Sequence[str] = (), details: Mapping[str, Any] | None = None
) -> CheckResult:
    """A result; it passed when there are no ``problems``."""
    return {
        "check": check,
        "kind": kind,
        "passed": not problems,
        "problems": list(problems),
        "details": dict(details or {}),
    }


def summary(result: CheckResult) -> str:
    """One line for a log: ``passed`` or every problem, then what was measured (``status 200, 35 ms``)."""
    outcome = "passed" if result["passed"] else "FAILED: " + "; ".join(result["problems"])
    measured = _measured(result["details"])
    return f"{outcome} ({measured})" if measured else outcome


def failed_checks(results: Sequence[CheckResult]) -> str:
    """Each failed check with its problems, in one line: ``name: problem, problem; name: problem``."""
    return "; ".join(f"{r['check']}: {', '.join(r['problems'])}" for r in results if not r["passed"])


def _measured(details: Mapping[str, Any]) -> str:
    parts = []
    if "status_code" in details:
        parts.append(f"status {details['status_code']}")
    if "latency_ms" in details:
        parts.append(f"{details['latency_ms']} ms")
    if "rows" in details:
        parts.append(f"{details['rows']} row{'s' if details['rows'] != 1 else ''}")
    if "expectations" in details:
        met = sum(1 for result in details["expectations"] if result.get("success"))
        parts.append(f"{met} of {len(details['expectations'])} expectations met")
    return ", ".join(parts)
