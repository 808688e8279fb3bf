"""Field types of the manifest, each with a validator whose message says how to fix the value."""

from __future__ import annotations

import datetime
import difflib
import inspect
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, GetJsonSchemaHandler, ValidationInfo
from pydantic_core import PydanticCustomError

from flightdeck import naming
from flightdeck.checks import parse_json_path
from flightdeck.manifest.regions import COMMERCIAL_REGIONS, OTHER_PARTITION_PREFIXES

ISSUE = "flightdeck"  # pydantic error type of every message written here
ACCOUNT_ID_NUMBER = "flightdeck_account_id_number"  # completed with the YAML source text by the issue builder
EXPECT_PLACEHOLDERS = ("environment", "account_id", "region", "version")
DURATION_PATTERN = "^[1-9][0-9]*[smhd]$"
MAX_DURATION = 365 * 86400
SHORT_DURATION_PATTERN = "^[1-9][0-9]*(ms|s|m)$"
MAX_SHORT_DURATION_MS = 15 * 60 * 1000
_TAG_TEXT = re.compile(r"[\w\s.:/=+@-]*")  # Unicode letters and digits, as AWS tags allow
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SHORT_DURATION_UNITS = {"ms": 1, "s": 1000, "m": 60000}


def _docstring_schema(schema: dict[str, Any], cls: type) -> None:
    """JSON Schema descriptions from a model's docstrings: its summary, and ``:param name:`` of each property."""
    schema["description"] = _markdown(inspect.cleandoc(cls.__doc__ or "").partition("\n\n")[0])
    properties = schema.get("properties", {})
    for base in reversed(cls.__mro__):  # a subclass's docstring wins over its base's
        rest = inspect.cleandoc(base.__doc__ or "").partition("\n\n")[2] if "__doc__" in vars(base) else ""
        for name, text in re.findall(r":param (\w+): (.*?)(?=\n:param |\Z)", rest, re.DOTALL):
            if name in properties:
                properties[name]["description"] = _markdown(text)


def _markdown(text: str) -> str:
    """Docstring text as one line of Markdown (what editors show)."""
    return " ".join(text.split()).replace("``", "`")


class StrictModel(BaseModel):
    """Base of every manifest model: strict types, immutable, unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, json_schema_extra=_docstring_schema)


def invalid(message: str, *at: str | int, at_key: bool = False) -> PydanticCustomError:
    """A validation error with a teaching ``message``.

    :param at: continues the path below the validated field.
    :param at_key: point at the key of that path rather than its value.
    """
    return PydanticCustomError(ISSUE, "{message}", {"message": message, "at": at, "at_key": at_key})


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


@dataclass(frozen=True)
class Checked(AfterValidator):
    """An AfterValidator that also adds keywords (``pattern``, ``enum``...) to the field's JSON Schema.

    :param schema: the keywords, as ``(name, value)`` pairs.
    """

    schema: tuple[tuple[str, Any], ...] = ()

    def __get_pydantic_json_schema__(self, core: Any, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {**handler(core), **{key: list(v) if isinstance(v, tuple) else v for key, v in self.schema}}


def matching(pattern: str, what: str, rule: str) -> Checked:
    """Validator of text that must match ``pattern``; the message names ``what`` and the ``rule``."""
    compiled = re.compile(pattern, re.ASCII)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise invalid(f"{what} {value!r} is not valid: {rule}")
        return value

    return Checked(check, schema=(("pattern", f"^(?:{pattern})$"),))


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

    :raises ValueError: when the text is not a positive whole number followed by s, m, h or d, or is over 365d.
    """
    return _amount(value, _DURATION_UNITS, MAX_DURATION, example=", like 30m, 24h or 7d", most="365d")


def parse_milliseconds(value: str) -> int:
    """``"500ms"``, ``"2s"``, ``"1m"`` → milliseconds: the durations of one request.

    :raises ValueError: when the text is not a positive whole number followed by ms, s or m, or is over 15m.
    """
    example = " (ms, s or m), like 500ms or 2s"
    return _amount(value, _SHORT_DURATION_UNITS, MAX_SHORT_DURATION_MS, example=example, most="15m")


def _amount(value: str, units: dict[str, int], maximum: int, *, example: str, most: str) -> int:
    """A positive whole number and a unit of ``units`` as a count of the smallest unit; at most ``maximum``."""
    number = value.rstrip("abcdefghijklmnopqrstuvwxyz")
    if not re.fullmatch("[1-9][0-9]*", number) or value[len(number) :] not in units:
        raise ValueError(f"duration {value!r} is not valid: write a whole number and a unit{example}")
    too_many_digits = len(number) > 12  # int() of a huge number is slow, and no such duration is valid
    amount = maximum + 1 if too_many_digits else int(number) * units[value[len(number) :]]
    if amount > maximum:
        raise ValueError(f"duration {value!r} is too long: at most {most}")
    return amount


def _duration(value: str) -> str:
    try:
        parse_duration(value)
    except ValueError as err:
        raise invalid(str(err)) from err
    return value


def _short_duration(value: str) -> str:
    try:
        parse_milliseconds(value)
    except ValueError as err:
        raise invalid(str(err)) from err
    return value


def _json_path(value: str) -> str:
    try:
        parse_json_path(value)
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


def check_placeholders(value: str, allowed: Sequence[str], *, literal_braces: bool = False) -> None:
    """Raise a teaching error when ``value`` is a malformed template or uses a placeholder not in ``allowed``.

    :param literal_braces: whether the text may hold literal braces (then the message says how to write them).
    """
    try:
        names = naming.template_placeholders(value)
    except ValueError as err:
        how = "; write {{ and }} for literal braces" if literal_braces else ""
        raise invalid(f"{value!r}: {err}{how}") from err
    for name in names:
        if name not in allowed:
            shown = ", ".join(f"{{{known}}}" for known in allowed)
            raise invalid(f"unknown placeholder {{{name}}}{did_you_mean(name, allowed)} (allowed: {shown})")


def _expect_value(value: Any) -> Any:
    if isinstance(value, dict | list | tuple | datetime.date):
        raise invalid(f"expect compares top-level answer fields with a plain value, not {describe_type(value)}")
    if isinstance(value, str):
        check_placeholders(value, EXPECT_PLACEHOLDERS, literal_braces=True)
    return value


def _json_expect_value(value: Any) -> Any:
    if isinstance(value, dict | list | tuple | datetime.date):
        raise invalid(
            f"expect_json compares the value at a JSON path with a plain value (text, number, true/false, null), "
            f"not {describe_type(value)}: write one path per value, like data.items[0].id"
        )
    if isinstance(value, str):
        check_placeholders(value, EXPECT_PLACEHOLDERS, literal_braces=True)
    return value


def _tag_text(what: str, minimum: int, maximum: int) -> Checked:
    def check(value: str) -> str:
        if not minimum <= len(value) <= maximum or not _TAG_TEXT.fullmatch(value):
            rule = f"{minimum} to {maximum} letters, digits, spaces and _ . : / = + - @"
            raise invalid(f"tag {what} {value!r} is not valid: {rule}")
        return value

    return Checked(check, schema=(("minLength", minimum), ("maxLength", maximum)))


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise invalid(f"payload must be plain JSON ({err}); quote dates and other special values") from err
    return value


ApplicationName = Annotated[
    str,
    matching(r"[a-z][a-z0-9-]{0,39}", "name", "a lowercase letter, then up to 39 lowercase letters, digits, -"),
]
EnvironmentName = Annotated[
    str,
    matching(r"[a-z][a-z0-9-]{0,19}", "name", "a lowercase letter, then up to 19 lowercase letters, digits, -"),
]
LogicalName = Annotated[
    str, matching(r"[A-Za-z0-9]{1,255}", "name", "CloudFormation names are letters and digits only")
]
AccountId = Annotated[
    str,
    BeforeValidator(_account_id_number),
    matching(r"[0-9]{12}", "account id", "an AWS account id is exactly 12 digits, in quotes"),
]
Region = Annotated[str, Checked(_known_region, schema=(("enum", tuple(sorted(COMMERCIAL_REGIONS))),))]
RoleRef = Annotated[str, AfterValidator(_role_ref)]
ExternalId = Annotated[
    str,
    matching(r"[\w+=,.@:/-]{2,1224}", "external_id", "2 to 1224 letters, digits and +=,.@:/-_ characters"),
]
ConnectionId = Annotated[
    str, matching(r"[\w.-]{1,250}", "connection id", "letters, digits, underscores, dots and hyphens")
]
UserName = Annotated[str, matching(r"\S(.*\S)?", "user name", "an Airflow user name, without outer spaces")]
Duration = Annotated[str, Checked(_duration, schema=(("pattern", DURATION_PATTERN),))]
ShortDuration = Annotated[str, Checked(_short_duration, schema=(("pattern", SHORT_DURATION_PATTERN),))]
JsonPathText = Annotated[str, Checked(_json_path)]
StackNameTemplate = Annotated[str, AfterValidator(_stack_name_template)]
TemplatePath = Annotated[str, AfterValidator(_template_file)]
ManifestVersion = Annotated[Literal[1], BeforeValidator(_manifest_version)]
Capability = Literal["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
ExpectValue = Annotated[str | int | float | bool | None, BeforeValidator(_expect_value)]
JsonExpectValue = Annotated[str | int | float | bool | None, BeforeValidator(_json_expect_value)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]
TagKey = Annotated[str, _tag_text("key", 1, 128)]
TagValue = Annotated[str, _tag_text("value", 0, 256)]
