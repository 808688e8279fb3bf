"""Field types of the manifest, each with a validator whose message says how to fix the value."""

from __future__ import annotations

import datetime
import difflib
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationInfo
from pydantic_core import PydanticCustomError

from flightdeck import naming
from flightdeck.manifest.regions import COMMERCIAL_REGIONS, OTHER_PARTITION_PREFIXES

ISSUE = "flightdeck"  # pydantic error type of every message written here
ACCOUNT_ID_NUMBER = "flightdeck_account_id_number"  # completed with the YAML source text by the issue builder
RELEASE_VALUES = ("version", "run_id")
EXPECT_PLACEHOLDERS = ("environment", "account_id", "region", "version")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class StrictModel(BaseModel):
    """Base of every manifest model: strict types, immutable, unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def invalid(message: str, *at: str | int) -> PydanticCustomError:
    """A validation error with a teaching ``message``; ``at`` continues the path below the validated field."""
    return PydanticCustomError(ISSUE, "{message}", {"message": message, "at": at})


def did_you_mean(value: str, choices: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, or ``""`` when nothing is close."""
    close = difflib.get_close_matches(value, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def describe_type(value: Any) -> str:
    """How a YAML reader should think of the Python value YAML produced."""
    if value is None:
        return "an empty value (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return "text"


def _matching(pattern: str, what: str, rule: str) -> AfterValidator:
    compiled = re.compile(pattern, re.ASCII)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise invalid(f"{what} {value!r} is not valid: {rule}")
        return value

    return AfterValidator(check)


def unique(what: str, key: Callable[[Any], Any] = lambda item: item) -> AfterValidator:
    """Validator of a tuple whose items (or ``key(item)``) must be unique; points at the repeated item."""

    def check(items: tuple[Any, ...]) -> tuple[Any, ...]:
        seen: dict[Any, int] = {}
        for index, item in enumerate(items):
            value = key(item)
            if value in seen:
                raise invalid(f"duplicate {what} {value!r}: item {seen[value]} of this list has it already", index)
            seen[value] = index
        return items

    return AfterValidator(check)


def _account_id_number(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise PydanticCustomError(ACCOUNT_ID_NUMBER, "account id {value} is a number", {"value": value})
    return value


def _known_region(value: str) -> str:
    if value in COMMERCIAL_REGIONS:
        return value
    if value.startswith(OTHER_PARTITION_PREFIXES):
        raise invalid(f"region {value!r} is outside the commercial AWS partition, which is all v1 deploys to")
    hint = did_you_mean(value, sorted(COMMERCIAL_REGIONS))
    raise invalid(f"unknown AWS region {value!r}{hint or '; write a region code like eu-west-1'}")


def _role_ref(value: str) -> str:
    if not value.startswith("arn:"):
        if not re.fullmatch(r"[\w+=,.@-]{1,64}", value, re.ASCII):
            raise invalid(f"role name {value!r} is not valid: up to 64 letters, digits and +=,.@_- characters")
        return value
    if naming.ROLE_ARN_PLACEHOLDER not in value:
        raise invalid(
            f"role ARN {value!r} has no {{account_id}}: the role lives in each target account, so write "
            "arn:aws:iam::{account_id}:role/<name>"
        )
    if not re.fullmatch(r"arn:aws[a-z-]*:iam::\{account_id\}:role/[\w+=,.@/-]{1,512}", value, re.ASCII):
        raise invalid(f"role ARN {value!r} is not valid: expected arn:aws:iam::{{account_id}}:role/<path/name>")
    return value


def parse_duration(value: str) -> int:
    """``"90s"``, ``"30m"``, ``"24h"``, ``"7d"`` → seconds.

    :raises ValueError: when the text is not a positive whole number followed by s, m, h or d.
    """
    match = re.fullmatch(r"([1-9][0-9]*)([smhd])", value)
    if not match:
        raise ValueError(f"duration {value!r} is not valid: write a whole number and a unit, like 30m, 24h or 7d")
    return int(match[1]) * _DURATION_UNITS[match[2]]


def _duration(value: str) -> str:
    try:
        parse_duration(value)
    except ValueError as err:
        raise invalid(str(err)) from err
    return value


def _stack_name_template(value: str) -> str:
    try:
        names = naming.template_placeholders(value)
    except ValueError as err:
        raise invalid(f"stack_name {value!r}: {err}") from err
    allowed = ", ".join(f"{{{name}}}" for name in naming.STACK_NAME_PLACEHOLDERS)
    for name in names:
        if name not in naming.STACK_NAME_PLACEHOLDERS:
            hint = did_you_mean(name, naming.STACK_NAME_PLACEHOLDERS)
            raise invalid(f"unknown placeholder {{{name}}} in stack_name{hint} (allowed: {allowed})")
    literal = re.sub(r"\{[a-z_]+\}", "", value)
    if not re.fullmatch(r"[-A-Za-z0-9]*", literal):
        raise invalid(f"stack_name {value!r} may only add letters, digits and hyphens around {allowed}")
    return value


def _template_file(value: str, info: ValidationInfo) -> str:
    if not value.strip():
        raise invalid("template is empty: give the CloudFormation template's path, relative to the manifest")
    base_dir = (info.context or {}).get("base_dir")
    if base_dir is not None and not (Path(base_dir) / value).is_file():
        raise invalid(
            f"template file {value!r} not found (looked for {Path(base_dir) / value}); "
            "the path is relative to the folder of the manifest"
        )
    return value


def _manifest_version(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, int) and value != 1):
        raise invalid(f"unsupported manifest version {value!r}: this Flightdeck reads version: 1")
    return value


class ParameterValue(StrictModel):
    """Where a stack parameter's value comes from.

    :param kind: ``literal`` (the value itself), ``ssm`` (value is a Parameter Store path read in the target
        account at deploy time) or ``release`` (value is ``version`` or ``run_id`` of the run).
    :param value: the literal, the SSM path or the release field.
    """

    kind: Literal["literal", "ssm", "release"]
    value: str


def parse_parameter(text: str) -> ParameterValue:
    """``"ssm:/a/b"``, ``"release:version"`` or a literal → :class:`ParameterValue`; bad ones raise."""
    prefix, colon, rest = text.partition(":")
    if colon and prefix == "ssm":
        if not re.fullmatch(r"/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", rest, re.ASCII):
            raise invalid(
                f"{text!r} is not a Parameter Store reference: write ssm:/path/to/parameter "
                "(letters, digits and _ . - between slashes)"
            )
        return ParameterValue(kind="ssm", value=rest)
    if colon and prefix == "release":
        if rest not in RELEASE_VALUES:
            choices = " or ".join(f"release:{name}" for name in RELEASE_VALUES)
            raise invalid(f"{text!r} is not a release value{did_you_mean(rest, RELEASE_VALUES)} (use {choices})")
        return ParameterValue(kind="release", value=rest)
    return ParameterValue(kind="literal", value=text)


def _parameter_value(value: Any) -> Any:
    if isinstance(value, ParameterValue):
        return value
    if isinstance(value, str):
        return parse_parameter(value)
    if isinstance(value, bool | int | float):
        return ParameterValue(kind="literal", value=str(value))
    if value is None:
        raise invalid("a parameter value cannot be empty (null); write '' for an empty string")
    raise invalid(f"a parameter value is text, a number or true/false, not {describe_type(value)}; quote it")


def _expect_value(value: Any) -> Any:
    if isinstance(value, dict | list | tuple | datetime.date):
        raise invalid(f"expect compares top-level answer fields with a plain value, not {describe_type(value)}")
    if isinstance(value, str):
        try:
            names = naming.template_placeholders(value)
        except ValueError as err:
            raise invalid(f"{value!r}: {err}; write {{{{ and }}}} for literal braces") from err
        for name in names:
            if name not in EXPECT_PLACEHOLDERS:
                allowed = ", ".join(f"{{{known}}}" for known in EXPECT_PLACEHOLDERS)
                hint = did_you_mean(name, EXPECT_PLACEHOLDERS)
                raise invalid(f"unknown placeholder {{{name}}}{hint} (allowed: {allowed})")
    return value


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise invalid(f"payload must be plain JSON ({err}); quote dates and other special values") from err
    return value


ApplicationName = Annotated[
    str,
    _matching(r"[a-z][a-z0-9-]{0,39}", "name", "a lowercase letter, then up to 39 lowercase letters, digits, -"),
]
EnvironmentName = Annotated[
    str,
    _matching(r"[a-z][a-z0-9-]{0,19}", "name", "a lowercase letter, then up to 19 lowercase letters, digits, -"),
]
LogicalName = Annotated[
    str, _matching(r"[A-Za-z0-9]{1,255}", "name", "CloudFormation names are letters and digits only")
]
AccountId = Annotated[
    str,
    BeforeValidator(_account_id_number),
    _matching(r"[0-9]{12}", "account id", "an AWS account id is exactly 12 digits, in quotes"),
]
Region = Annotated[str, AfterValidator(_known_region)]
RoleRef = Annotated[str, AfterValidator(_role_ref)]
ExternalId = Annotated[
    str,
    _matching(r"[\w+=,.@:/-]{2,1224}", "external_id", "2 to 1224 letters, digits and +=,.@:/-_ characters"),
]
ConnectionId = Annotated[
    str, _matching(r"[\w.-]{1,250}", "connection id", "letters, digits, underscores, dots and hyphens")
]
UserName = Annotated[str, _matching(r"\S(.*\S)?", "user name", "an Airflow user name, without outer spaces")]
Duration = Annotated[str, AfterValidator(_duration)]
StackNameTemplate = Annotated[str, AfterValidator(_stack_name_template)]
TemplatePath = Annotated[str, AfterValidator(_template_file)]
ManifestVersion = Annotated[Literal[1], BeforeValidator(_manifest_version)]
Capability = Literal["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
Parameters = dict[LogicalName, Annotated[ParameterValue, BeforeValidator(_parameter_value)]]
ExpectValue = Annotated[str | int | float | bool | None, BeforeValidator(_expect_value)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]
