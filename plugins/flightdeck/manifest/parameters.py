"""Stack parameter values: literals and ``ssm:``, ``secretsmanager:`` and ``release:`` references."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, WithJsonSchema

from flightdeck import naming
from flightdeck.manifest.fields import (
    LogicalName,
    Region,
    StrictModel,
    check_placeholders,
    describe_type,
    did_you_mean,
    invalid,
)

RELEASE_VALUES = ("version", "run_id")
# What placeholders stand for when the shape of a reference is checked: any real value has the same shape.
_SAMPLE = {"application": "app", "environment": "env", "account_id": "123456789012", "region": "eu-west-1"}
_SSM_PATH = re.compile(r"/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", re.ASCII)
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}", re.ASCII)
_JSON_KEY = re.compile(r"[A-Za-z0-9/_+=.@ -]{1,256}", re.ASCII)


class ParameterValue(StrictModel):
    """Where a stack parameter's value comes from.

    :param kind: ``literal`` (the value itself), ``ssm`` (value is a Parameter Store path read in the target
        account at deploy time), ``secretsmanager`` (value is ``name`` or ``name:json-key`` of a secret read in
        the target account at deploy time) or ``release`` (value is ``version`` or ``run_id`` of the run).
    :param value: the literal, the SSM path, the secret reference or the release field; references may hold
        ``{application}``, ``{environment}``, ``{account_id}`` and ``{region}``, filled per target.
    """

    kind: Literal["literal", "ssm", "secretsmanager", "release"]
    value: str


def parse_parameter(text: str) -> ParameterValue:
    """``"ssm:/a/b"``, ``"secretsmanager:name:key"``, ``"release:version"`` or a literal → :class:`ParameterValue`.

    Bad references raise a validation error that says how to write them.
    """
    prefix, colon, rest = text.partition(":")
    if colon and prefix == "ssm":
        _check_reference(text, rest, _SSM_PATH.fullmatch(_sample(rest)) is not None, _SSM_HOW)
        return ParameterValue(kind="ssm", value=rest)
    if colon and prefix == "secretsmanager":
        name, _, key = _sample(rest).partition(":")
        valid = _SECRET_NAME.fullmatch(name) is not None and (not key or _JSON_KEY.fullmatch(key) is not None)
        _check_reference(text, rest, valid, _SECRET_HOW)
        return ParameterValue(kind="secretsmanager", value=rest)
    if colon and prefix == "release":
        if rest not in RELEASE_VALUES:
            choices = " or ".join(f"release:{name}" for name in RELEASE_VALUES)
            raise invalid(f"{text!r} is not a release value{did_you_mean(rest, RELEASE_VALUES)} (use {choices})")
        return ParameterValue(kind="release", value=rest)
    return ParameterValue(kind="literal", value=text)


_SSM_HOW = (
    "is not a Parameter Store reference: write ssm:/path/to/parameter (letters, digits and _ . - between slashes)"
)
_SECRET_HOW = (
    "is not a Secrets Manager reference: write secretsmanager:<secret name> or secretsmanager:<secret name>:<json "
    "key> (a name of letters, digits and /_+=.@-, not an ARN)"
)


def _sample(reference: str) -> str:
    return naming.fill_placeholders(reference, _SAMPLE)


def _check_reference(text: str, reference: str, valid: bool, how: str) -> None:
    check_placeholders(reference, naming.REFERENCE_PLACEHOLDERS)
    if not valid:
        raise invalid(f"{text!r} {how}")


def _parameter_value(value: Any) -> Any:
    if isinstance(value, ParameterValue):
        return value
    if isinstance(value, str):
        return parse_parameter(value)
    if isinstance(value, bool):  # CloudFormation writes booleans in lower case
        return ParameterValue(kind="literal", value="true" if value else "false")
    if isinstance(value, int | float):
        return ParameterValue(kind="literal", value=str(value))
    if value is None:
        raise invalid("a parameter value cannot be empty (null); write '' for an empty string")
    raise invalid(f"a parameter value is text, a number or true/false, not {describe_type(value)}; quote it")


_PARAMETER_SCHEMA = {
    "type": ["string", "number", "boolean"],
    "description": "A literal, or ssm:/path, secretsmanager:name[:json-key], release:version or release:run_id. "
    "ssm and secretsmanager references may use {application}, {environment}, {account_id} and {region}.",
}
Parameter = Annotated[ParameterValue, BeforeValidator(_parameter_value), WithJsonSchema(_PARAMETER_SCHEMA)]
Parameters = dict[LogicalName, Parameter]
RegionParameters = dict[Region, Parameters]
