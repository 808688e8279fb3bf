"""Set, read and clear the local AWS emulator's faults (``/_flightdeck/faults``) from tests and scripts."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

PATH = "/_flightdeck/faults"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class FaultsError(RuntimeError):
    """The emulator refused a fault configuration (the message says why) or did not answer."""


def throttle(operation: str, rate: float = 1.0, count: int | None = None) -> dict[str, Any]:
    """A rule throttling ``rate`` of the calls to ``operation`` (``service:Action``, ``*`` allowed), at most
    ``count`` of them when given."""
    rule: dict[str, Any] = {"operation": operation, "throttle_rate": rate}
    return rule if count is None else {**rule, "count": count}


def latency(operation: str, seconds: float) -> dict[str, Any]:
    """A rule delaying every call to ``operation`` by ``seconds``."""
    return {"operation": operation, "latency_seconds": seconds}


def _request(endpoint_url: str, method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{endpoint_url.rstrip('/')}{PATH}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with _NO_PROXY.open(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        raise FaultsError(f"{method} {PATH}: HTTP {err.code}: {err.read().decode(errors='replace')}") from err
    except (urllib.error.URLError, OSError) as err:
        raise FaultsError(f"{method} {PATH}: the emulator at {endpoint_url} did not answer: {err}") from err


def set_faults(
    endpoint_url: str,
    rules: Sequence[dict[str, Any]] = (),
    *,
    change_set_seconds: float = 0.0,
    stack_operation_seconds: float = 0.0,
    rollback_failure: str | None = None,
) -> dict[str, Any]:
    """Replace the emulator's faults (counters start from zero); returns the configuration as it took it.

    :param rules: ``throttle(...)``/``latency(...)`` rules or their JSON form; every matching rule applies.
    :param change_set_seconds: how long a new change set stays ``CREATE_IN_PROGRESS``.
    :param stack_operation_seconds: how long a stack stays ``*_IN_PROGRESS`` after an operation.
    :param rollback_failure: while set, the rollback of a failed stack update fails at its first resource with this
        reason, leaving the stack ``UPDATE_ROLLBACK_FAILED`` (``ContinueUpdateRollback`` fails the same way).
    """
    cloudformation = {
        "change_set_seconds": change_set_seconds,
        "stack_operation_seconds": stack_operation_seconds,
        "rollback_failure": rollback_failure,
    }
    return _request(endpoint_url, "POST", {"rules": list(rules), "cloudformation": cloudformation})


def get_faults(endpoint_url: str) -> dict[str, Any]:
    """The configuration in force with its counters: ``rules`` (each with ``calls`` and ``throttled``),
    ``cloudformation`` and ``stats``."""
    return _request(endpoint_url, "GET")


def fault_stats(endpoint_url: str) -> dict[str, dict[str, float]]:
    """Per operation seen since the faults were set: ``calls``, ``throttled`` and ``delayed_seconds``."""
    return get_faults(endpoint_url)["stats"]


def clear_faults(endpoint_url: str) -> None:
    """No faults any more (a moto reset clears them too)."""
    _request(endpoint_url, "DELETE")


@contextmanager
def faults(
    endpoint_url: str,
    rules: Sequence[dict[str, Any]] = (),
    *,
    change_set_seconds: float = 0.0,
    stack_operation_seconds: float = 0.0,
    rollback_failure: str | None = None,
) -> Iterator[dict[str, Any]]:
    """``set_faults`` for the duration of a ``with`` block, then ``clear_faults``."""
    config = set_faults(
        endpoint_url,
        rules,
        change_set_seconds=change_set_seconds,
        stack_operation_seconds=stack_operation_seconds,
        rollback_failure=rollback_failure,
    )
    try:
        yield config
    finally:
        clear_faults(endpoint_url)
