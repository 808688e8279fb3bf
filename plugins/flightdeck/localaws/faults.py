"""Fault injection: the configuration set over HTTP at ``/_flightdeck/faults``, and throttling and latency rules.

Rules act in ``BaseResponse.call_action``, the step every query and JSON protocol request (and Lambda's) goes
through before moto's authorization hook, where the operation is ``<service>:<Action>`` as moto names it
(``boto3_service_name``, ``_get_action()``: the ``Action`` form field or the ``X-Amz-Target`` header). S3 has its
own dispatch and is not covered. With no rule set a call costs one global read.

The ``cloudformation`` section (slow operations, a failing update rollback) is kept here and acted on by
``faults_cloudformation`` and, for the rollback, ``cfn_update_rollback`` (through ``injected_rollback_failure``).
"""

from __future__ import annotations

import fnmatch
import json
import math
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import get_service_model
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from werkzeug.wrappers import Request, Response

from flightdeck.localaws.fixes import on_reset

CONTROL_PATH = "/_flightdeck/faults"
_RULE_KEYS = {"operation", "throttle_rate", "count", "latency_seconds"}
_CFN_KEYS = {"change_set_seconds", "stack_operation_seconds", "rollback_failure"}
# JSON-protocol throttling codes some services model; botocore's retry handlers treat each as throttling.
_MODELLED_CODES = ("ThrottlingException", "TooManyRequestsException")


class ThrottlingError(ServiceException):
    """AWS's throttling error, serialized in the protocol of the service that refuses the call."""


@dataclass
class Rule:
    """Faults for the operations matching ``operation`` (``service:Action``, ``*`` wildcards, any case).

    :param operation: the operations it applies to, e.g. ``cloudformation:DescribeStacks``, ``ssm:*``.
    :param throttle_rate: the share of matching calls to throttle, spread evenly from the first one.
    :param count: throttle at most this many calls (``None``: no limit).
    :param latency_seconds: delay added before every matching call is answered.
    """

    operation: str
    throttle_rate: Fraction = Fraction(0)
    count: int | None = None
    latency_seconds: float = 0.0
    calls: int = 0
    throttled: int = 0

    def matches(self, operation: str) -> bool:
        return fnmatch.fnmatchcase(operation.lower(), self.operation.lower())

    def throttles_next(self) -> bool:
        """Count a matching call; True when it is throttled: the k-th when ceil(k·rate) > ceil((k-1)·rate)."""
        self.calls += 1
        if self.count is not None and self.throttled >= self.count:
            return False
        if math.ceil(self.calls * self.throttle_rate) > math.ceil((self.calls - 1) * self.throttle_rate):
            self.throttled += 1
            return True
        return False


@dataclass
class Faults:
    """The emulator's fault configuration and what it has done so far.

    :param rules: per-operation throttling and latency; every matching rule applies.
    :param change_set_seconds: how long a new change set stays ``CREATE_IN_PROGRESS``.
    :param stack_operation_seconds: how long a stack stays ``*_IN_PROGRESS`` after an operation.
    :param rollback_failure: while set, the rollback of a failed stack update fails at its first resource, with
        this reason (``None``: rollbacks run normally).
    """

    rules: list[Rule] = field(default_factory=list)
    change_set_seconds: float = 0.0
    stack_operation_seconds: float = 0.0
    rollback_failure: str | None = None
    stats: dict[str, dict[str, float]] = field(default_factory=dict)

    def on_call(self, operation: str) -> tuple[float, bool]:
        """Record a call; the seconds to delay it and whether to throttle it."""
        delay, throttled = 0.0, False
        for rule in self.rules:
            if rule.matches(operation):
                delay += rule.latency_seconds
                throttled = rule.throttles_next() or throttled
        stats = self.stats.setdefault(operation, {"calls": 0, "throttled": 0, "delayed_seconds": 0.0})
        stats["calls"] += 1
        stats["throttled"] += int(throttled)
        stats["delayed_seconds"] += delay
        return delay, throttled

    def to_json(self) -> dict[str, Any]:
        """The configuration with its counters, as ``GET`` answers it (call under the lock)."""
        rules = [
            {
                "operation": r.operation,
                "throttle_rate": float(r.throttle_rate),
                "count": r.count,
                "latency_seconds": r.latency_seconds,
                "calls": r.calls,
                "throttled": r.throttled,
            }
            for r in self.rules
        ]
        cloudformation = {
            "change_set_seconds": self.change_set_seconds,
            "stack_operation_seconds": self.stack_operation_seconds,
            "rollback_failure": self.rollback_failure,
        }
        stats = {operation: dict(counters) for operation, counters in self.stats.items()}  # a copy: taken under lock
        return {"rules": rules, "cloudformation": cloudformation, "stats": stats}


@dataclass
class State:
    """The configuration in force, and the in-progress windows of slow CloudFormation operations: id -> monotonic
    time they end (and, for stacks, the status shown meanwhile)."""

    faults: Faults | None = None
    creating: dict[str, float] = field(default_factory=dict)
    executing: dict[str, float] = field(default_factory=dict)
    busy: dict[str, tuple[float, str]] = field(default_factory=dict)


lock = threading.Lock()
state = State()


def _number(value: Any, name: str, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}")
    return float(value)


def _reason(value: Any, name: str) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValueError(f"{name} must be a non-empty string (the reason) or null, not {value!r}")
    return value


def _keys(document: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise ValueError(f"{where} must be a JSON object")
    if unknown := sorted(set(document) - allowed):
        raise ValueError(f"{where}: unknown keys {unknown}; allowed: {sorted(allowed)}")
    return document


def parse_rule(document: Any, where: str = "rule") -> Rule:
    """A rule from its JSON form (raises ``ValueError`` naming what is wrong)."""
    document = _keys(document, _RULE_KEYS, where)
    operation = document.get("operation")
    if not isinstance(operation, str) or (operation != "*" and ":" not in operation):
        raise ValueError(f"{where}: operation must be 'service:Action' (wildcards allowed), not {operation!r}")
    count = document.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise ValueError(f"{where}: count must be a whole number >= 0, not {count!r}")
    default_rate = 1.0 if count is not None else 0.0
    rate = _number(document.get("throttle_rate", default_rate), f"{where}: throttle_rate", high=1.0)
    latency = _number(document.get("latency_seconds", 0.0), f"{where}: latency_seconds")
    return Rule(operation, Fraction(str(rate)), count, latency)


def parse_faults(document: Any) -> Faults:
    """The configuration a ``POST`` sets (raises ``ValueError`` naming what is wrong)."""
    document = _keys(document, {"rules", "cloudformation"}, "the configuration")
    rules = document.get("rules") or []
    if not isinstance(rules, list):
        raise ValueError("rules must be a list")
    cfn = _keys(document.get("cloudformation") or {}, _CFN_KEYS, "cloudformation")
    return Faults(
        rules=[parse_rule(rule, f"rules[{i}]") for i, rule in enumerate(rules)],
        change_set_seconds=_number(cfn.get("change_set_seconds", 0.0), "cloudformation: change_set_seconds"),
        stack_operation_seconds=_number(
            cfn.get("stack_operation_seconds", 0.0), "cloudformation: stack_operation_seconds"
        ),
        rollback_failure=_reason(cfn.get("rollback_failure"), "cloudformation: rollback_failure"),
    )


def configure(faults: Faults | None) -> None:
    """Replace the configuration (``None`` clears it); counters and in-progress windows start afresh."""
    with lock:
        state.faults = faults
        for table in (state.creating, state.executing, state.busy):
            table.clear()


def clear() -> None:
    """No faults (``DELETE``, and on every moto reset)."""
    configure(None)


def injected_rollback_failure() -> str | None:
    """The reason a stack update's rollback is to fail with, while ``cloudformation.rollback_failure`` is set."""
    faults = state.faults
    return faults.rollback_failure if faults else None


def _control(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """``GET`` the configuration and counters, ``POST`` a new configuration, ``DELETE`` it."""
    request = Request(environ)
    status, answer = 200, None
    if request.path.rstrip("/") != CONTROL_PATH:
        status, answer = 404, {"message": f"unknown path; use {CONTROL_PATH}"}
    elif request.method == "POST":
        try:
            configure(parse_faults(json.loads(request.get_data() or b"{}")))
        except ValueError as err:  # json.JSONDecodeError is a ValueError
            status, answer = 400, {"message": str(err)}
    elif request.method == "DELETE":
        clear()
    elif request.method != "GET":
        status, answer = 405, {"message": "use GET, POST or DELETE"}
    if answer is None:
        with lock:
            answer = (state.faults or Faults()).to_json()
    return Response(json.dumps(answer), status=status, mimetype="application/json")(environ, start_response)


def _throttling(response: BaseResponse) -> tuple[int, dict[str, str], str]:
    """AWS's throttling error in the service's protocol: ``Throttling`` (query) or ``ThrottlingException``."""
    model = get_service_model(response.boto3_service_name)
    if model.protocol in ("query", "ec2"):
        code = "Throttling"
    else:
        code = next((c for c in _MODELLED_CODES if c in model.shape_names), _MODELLED_CODES[0])
    status, headers, body = response.serialized(ActionResult(ThrottlingError(code, "Rate exceeded")))
    return (status if status != 200 else 400), headers, body


def _hook_dispatch(original: Callable[..., Any]) -> Callable[..., Any]:
    def __call__(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
        if str(environ.get("PATH_INFO", "")).startswith(CONTROL_PATH):
            return _control(environ, start_response)
        return original(self, environ, start_response)

    return __call__


def _hook_call_action(original: Callable[[BaseResponse], Any]) -> Callable[[BaseResponse], Any]:
    def call_action(self: BaseResponse) -> Any:
        faults = state.faults
        if faults is None or not faults.rules:
            return original(self)
        with lock:
            delay, throttled = faults.on_call(f"{self.boto3_service_name}:{self._get_action() or ''}")
        if delay:
            time.sleep(delay)
        if throttled:
            status, headers, body = _throttling(self)
            return status, *self._enrich_response(headers, body)
        return original(self)

    call_action._flightdeck = True  # type: ignore[attr-defined]
    return call_action


def apply() -> None:
    """Serve ``/_flightdeck/faults`` and apply its rules to every call."""
    if getattr(BaseResponse.call_action, "_flightdeck", False):
        return
    # moto warns that no service model defines the error: it is AWS's common one, serialized like any other.
    warnings.filterwarnings("ignore", message=r"Exception\(ThrottlingError\)", category=UserWarning)
    BaseResponse.call_action = _hook_call_action(BaseResponse.call_action)  # type: ignore[method-assign]
    DomainDispatcherApplication.__call__ = _hook_dispatch(DomainDispatcherApplication.__call__)  # type: ignore[method-assign]
    on_reset(clear)
