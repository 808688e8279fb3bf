"""One resource's drift: its template properties, resolved as at deploy time, against its live properties.

Only properties set in the template are compared, as on AWS. A value holding a dynamic reference
(``{{resolve:...}}``) is compared with what the reference resolves to now, and both sides show the reference,
never the resolved value; a live value that differs from a secure reference (``ssm-secure``, ``secretsmanager``)
is shown as ``****``, and so is the value of a ``NoEcho`` parameter wherever it appears.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.cloudformation.models import Stack
from moto.cloudformation.parsing import ResourceMap, clean_json

from flightdeck.localaws.cfn_drift_properties import TYPES, DriftType
from flightdeck.localaws.cfn_failures import error_text
from flightdeck.localaws.dynamic_references import REFERENCE, DynamicReferenceError, resolve_references

MASKED = "****"
_MISSING = object()  # a property or item the other side does not have


@dataclass
class ResourceDrift:
    """The result of checking one resource (``StackResourceDrift``)."""

    stack_id: str
    logical_id: str
    physical_id: str
    resource_type: str
    status: str  # IN_SYNC, MODIFIED, DELETED or UNKNOWN (detection failed: ``reason`` says why)
    timestamp: datetime
    expected: dict[str, Any] | None = None
    actual: dict[str, Any] | None = None
    differences: list[dict[str, str]] = field(default_factory=list)
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``StackResourceDrift`` structure of the API."""
        result: dict[str, Any] = {
            "StackId": self.stack_id,
            "LogicalResourceId": self.logical_id,
            "PhysicalResourceId": self.physical_id,
            "ResourceType": self.resource_type,
            "StackResourceDriftStatus": self.status,
            "Timestamp": self.timestamp,
        }
        if self.expected is not None and self.actual is not None:
            result["ExpectedProperties"] = _json(self.expected)
            result["ActualProperties"] = _json(self.actual)
            result["PropertyDifferences"] = self.differences
        if self.reason:
            result["DriftStatusReason"] = self.reason
        return result


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


class _ReadOnlyMap:
    """The stack's resource map as ``clean_json`` reads it, without creating what it has not created."""

    def __init__(self, resource_map: ResourceMap) -> None:
        self._map = resource_map

    def __getitem__(self, key: str) -> Any:
        parsed = self._map._parsed_resources
        if key in parsed:
            return parsed[key]
        if key in self._map._resource_json_map:
            return None  # not created (a type moto does not model, or a false condition): as moto's Ref gives
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self._map._parsed_resources.get(key, default)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._map, name)  # lazy_condition_map, cross_stack_resources


def drift_type(stack: Stack, logical_id: str) -> DriftType | None:
    """How to check a resource of the stack; None when its type does not support drift detection."""
    resource_json = stack.resource_map._resource_json_map.get(logical_id) or {}
    return TYPES.get(str(resource_json.get("Type", "")))


def expected_properties(stack: Stack, logical_id: str, kind: DriftType) -> dict[str, Any]:
    """The resource's properties in the stack's template, intrinsic functions resolved, dynamic references kept."""
    resource_map = stack.resource_map
    properties = resource_map._resource_json_map[logical_id].get("Properties") or {}
    resolved = clean_json(properties, _ReadOnlyMap(resource_map))  # type: ignore[arg-type]
    return {key: value for key, value in resolved.items() if key not in kind.write_only}


def check_resource(stack: Stack, logical_id: str, resource: Any, now: datetime) -> ResourceDrift | None:
    """Check one resource of the stack (None: its type does not support drift detection)."""
    kind = drift_type(stack, logical_id)
    if kind is None:
        return None
    physical_id = str(getattr(resource, "physical_resource_id", ""))
    resource_type = stack.resource_map._resource_json_map[logical_id]["Type"]
    drift = ResourceDrift(stack.stack_id, logical_id, physical_id, resource_type, "UNKNOWN", now)
    try:
        expected = expected_properties(stack, logical_id, kind)
        live = kind.read(stack.account_id, stack.region_name, physical_id)
    except Exception as err:  # a resource that cannot be checked fails the detection, not the request
        drift.reason = f"Failed to detect drift: {error_text(err)}"
        return drift
    if live is None:
        drift.status = "DELETED"
        return drift
    comparison = _Comparison(stack.account_id, stack.region_name)
    actual: dict[str, Any] = {}
    for name, value in expected.items():
        if name not in kind.properties:  # not read: shown as expected
            actual[name] = value
            continue
        key = kind.unordered.get(name, _MISSING)
        found = live.get(name, _MISSING)
        if key is not _MISSING and isinstance(value, list) and isinstance(found, list):
            found = _align(value, found, key)  # type: ignore[arg-type]
        shown = comparison.compare(value, found, f"/{name}")
        if shown is not _MISSING:
            actual[name] = shown
    drift.status = "MODIFIED" if comparison.differences else "IN_SYNC"
    secrets = _no_echo_values(stack)
    drift.expected, drift.actual = _mask(expected, secrets), _mask(actual, secrets)
    drift.differences = [
        {**difference, **_mask({k: difference[k] for k in ("ExpectedValue", "ActualValue")}, secrets)}
        for difference in comparison.differences
    ]
    return drift


def _no_echo_values(stack: Stack) -> list[str]:
    """The values of the stack's ``NoEcho`` parameters, longest first."""
    declared = (stack.template_dict if isinstance(stack.template_dict, dict) else {}).get("Parameters") or {}
    values: list[str] = []
    for key, spec in declared.items():
        if isinstance(spec, dict) and str(spec.get("NoEcho", "")).lower() == "true":
            value = stack.resource_map.resolved_parameters.get(key)
            values += [str(item) for item in (value if isinstance(value, list) else [value]) if item not in (None, "")]
    return sorted(set(values), key=len, reverse=True)


def _mask(value: Any, secrets: list[str]) -> Any:
    if not secrets:
        return value
    if isinstance(value, dict):
        return {key: _mask(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASKED)
    return value


def _align(expected: list[Any], actual: list[Any], key: str | None) -> list[Any]:
    """``actual`` ordered as ``expected``: items matched by ``key`` (or value), gaps ``_MISSING``, extras last."""

    def identity(item: Any) -> Any:
        return _text(item.get(key) if key and isinstance(item, dict) else item)

    remaining = list(actual)
    aligned = []
    for item in expected:
        match = next((i for i, candidate in enumerate(remaining) if identity(candidate) == identity(item)), None)
        aligned.append(_MISSING if match is None else remaining.pop(match))
    return aligned + remaining


def _text(value: Any) -> str:
    """A value as ``PropertyDifferences`` show it (and as compared: 10 and "10" are equal, as on AWS)."""
    if value is _MISSING or value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return _json(value)
    return str(value)


class _Comparison:
    """Compares values, collecting ``PropertyDifferences``."""

    def __init__(self, account_id: str, region_name: str) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.differences: list[dict[str, str]] = []

    def _differ(self, path: str, expected: Any, actual: Any, kind: str) -> None:
        self.differences.append(
            {
                "PropertyPath": path,
                "ExpectedValue": _text(expected),
                "ActualValue": _text(actual),
                "DifferenceType": kind,
            }
        )

    def compare(self, expected: Any, actual: Any, path: str) -> Any:
        """The actual value as shown (``_MISSING`` when absent), recording how it differs from ``expected``."""
        if actual is _MISSING:
            self._differ(path, expected, None, "REMOVE")
            return _MISSING
        if isinstance(expected, dict) and isinstance(actual, dict):
            shown = {}
            for key, value in expected.items():
                item = self.compare(value, actual.get(key, _MISSING), f"{path}/{key}")
                if item is not _MISSING:
                    shown[key] = item
            for key in [key for key in actual if key not in expected]:
                self._differ(f"{path}/{key}", None, actual[key], "ADD")
                shown[key] = actual[key]
            return shown
        if isinstance(expected, list) and isinstance(actual, list):
            items = [
                self.compare(value, actual[i] if i < len(actual) else _MISSING, f"{path}/{i}")
                for i, value in enumerate(expected)
            ]
            for i in range(len(expected), len(actual)):
                self._differ(f"{path}/{i}", None, actual[i], "ADD")
                items.append(actual[i])
            return [item for item in items if item is not _MISSING]
        if isinstance(expected, str) and REFERENCE.search(expected):
            return self._compare_reference(expected, actual, path)
        if _text(expected) != _text(actual):
            self._differ(path, expected, actual, "NOT_EQUAL")
        return actual

    def _compare_reference(self, expected: str, actual: Any, path: str) -> Any:
        """A value with dynamic references: equal when it resolves to the live value; the reference is shown."""
        try:
            resolved = resolve_references(expected, self.account_id, self.region_name)
        except DynamicReferenceError:
            return expected  # cannot be resolved now: not compared
        if _text(resolved) == _text(actual):
            return expected
        secure = any(match.group(1) != "ssm" for match in REFERENCE.finditer(expected))
        shown = MASKED if secure else actual
        self._differ(path, expected, shown, "NOT_EQUAL")
        return shown
