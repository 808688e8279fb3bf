"""Dynamic references (``{{resolve:ssm|ssm-secure|secretsmanager:...}}``) resolved at deploy time, like AWS."""

from __future__ import annotations

import json
import re
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import ssm_backends

REFERENCE = re.compile(r"\{\{resolve:(ssm|ssm-secure|secretsmanager):((?:(?!\}\}).)+)\}\}")
_SSM_REFERENCE = re.compile(r"(?P<name>.+?)(?::(?P<version>\d+))?")


class DynamicReferenceError(ValidationError):
    """A dynamic reference cannot be resolved; fails the resource that uses it."""

    def __init__(self, reference: str, problem: str) -> None:
        super().__init__(message=f"Unable to resolve dynamic reference {reference}: {problem}")


def resolve_references(value: Any, account_id: str, region_name: str) -> Any:
    """``value`` with every dynamic reference in its strings replaced by the referenced value."""
    if isinstance(value, dict):
        return {key: resolve_references(item, account_id, region_name) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_references(item, account_id, region_name) for item in value]
    if isinstance(value, str) and "{{resolve:" in value:
        return REFERENCE.sub(lambda match: _resolve(match, account_id, region_name), value)
    return value


def _message(error: Exception) -> str:
    message = getattr(error, "message", None)
    return message if isinstance(message, str) and message else str(error)


def _resolve(match: re.Match[str], account_id: str, region_name: str) -> str:
    service, reference = match.group(1), match.group(2)
    if service == "secretsmanager":
        return _secret(match.group(0), reference, account_id, region_name)
    return _parameter(match.group(0), reference, account_id, region_name, secure=service == "ssm-secure")


def _parameter(text: str, reference: str, account_id: str, region_name: str, secure: bool) -> str:
    parsed = _SSM_REFERENCE.fullmatch(reference)
    assert parsed is not None  # the pattern matches any non-empty string
    name, version = parsed.group("name"), parsed.group("version")
    try:
        parameter = ssm_backends[account_id][region_name].get_parameter(f"{name}:{version}" if version else name)
    except Exception as err:  # moto's ServiceException or older REST errors, all with a message
        raise DynamicReferenceError(text, _message(err)) from err
    where = f"in account {account_id} region {region_name}"
    if parameter is None:
        raise DynamicReferenceError(
            text, f"SSM parameter {name}{f' version {version}' if version else ''} not found {where}"
        )
    if not secure and parameter.parameter_type == "SecureString":
        raise DynamicReferenceError(text, f"SSM parameter {name} is a SecureString: use {{{{resolve:ssm-secure:...}}}}")
    value = parameter.decrypt(parameter.value) if secure else parameter.value
    return value or ""


def _secret(text: str, reference: str, account_id: str, region_name: str) -> str:
    parts = reference.split(":")
    if reference.startswith("arn:"):
        secret_id, rest = ":".join(parts[:7]), parts[7:]
        region_name, account_id = parts[3] or region_name, parts[4] or account_id
    else:
        secret_id, rest = parts[0], parts[1:]
    if len(rest) > 4:
        raise DynamicReferenceError(text, "too many segments")
    secret_string, json_key, version_stage, version_id = [*rest, "", "", "", ""][:4]
    if secret_string not in ("", "SecretString"):
        raise DynamicReferenceError(text, f"unsupported secret part {secret_string!r} (only SecretString)")
    if version_stage and version_id:
        raise DynamicReferenceError(text, "specify a version stage or a version id, not both")
    backend = secretsmanager_backends[account_id][region_name]
    try:
        value = backend.get_secret_value(secret_id, version_id or None, version_stage or None)  # type: ignore[arg-type]
    except Exception as err:
        where = f"account {account_id} region {region_name}"
        raise DynamicReferenceError(text, f"{_message(err)} ({where})") from err
    secret = value.get("SecretString")
    if secret is None:
        raise DynamicReferenceError(text, "the secret has no SecretString")
    if not json_key:
        return str(secret)
    try:
        document = json.loads(secret)
    except ValueError as err:
        raise DynamicReferenceError(text, "the secret is not a JSON object, so it has no key") from err
    if not isinstance(document, dict) or json_key not in document:
        raise DynamicReferenceError(text, f"the secret has no JSON key {json_key!r}")
    item = document[json_key]
    return item if isinstance(item, str) else json.dumps(item)


def _parse_ssm_parameter(self: parsing.ResourceMap, value: str, value_type: str) -> Any:
    """Template parameters of type ``AWS::SSM::Parameter::Value<...>``: a missing one is a ValidationError."""
    parameter = ssm_backends[self._account_id][self._region_name].get_parameter(value)
    if parameter is None:
        raise ValidationError(
            message=f"Parameters: [{value}] cannot be resolved: no SSM parameter {value} in account "
            f"{self._account_id} region {self._region_name}"
        )
    return parameter.value.split(",") if "List" in value_type else parameter.value


def apply() -> None:
    """Resolve dynamic references in resource properties each time moto creates or updates a resource."""
    if getattr(parsing.parse_resource, "_flightdeck", False):
        return
    original = parsing.parse_resource

    def parse_resource(resource_json: dict[str, Any], resources_map: parsing.ResourceMap) -> Any:
        parsed = original(resource_json, resources_map)
        if not parsed:
            return parsed
        resource_class, cleaned, resource_type = parsed
        if "Properties" in cleaned:
            cleaned = dict(cleaned)
            cleaned["Properties"] = resolve_references(
                cleaned["Properties"], resources_map._account_id, resources_map._region_name
            )
        return resource_class, cleaned, resource_type

    parse_resource._flightdeck = True  # type: ignore[attr-defined]
    parsing.parse_resource = parse_resource
    parsing.ResourceMap.parse_ssm_parameter = _parse_ssm_parameter  # type: ignore[method-assign]
