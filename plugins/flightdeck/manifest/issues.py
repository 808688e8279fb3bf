"""Turn validation errors into ManifestIssues that point at the YAML node and say how to fix it."""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Discriminator, Tag, ValidationError
from pydantic.fields import FieldInfo

from flightdeck.errors import ManifestIssue
from flightdeck.manifest.fields import ACCOUNT_ID_NUMBER, ISSUE, describe_type, did_you_mean
from flightdeck.manifest.yamlsource import DataPath, YamlSource, format_path

_EXPECTED = {
    "string_type": "text",
    "bool_type": "true or false",
    "int_type": "a whole number",
    "float_type": "a number",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "tuple_type": "a list (lines starting with '- ', or [a, b])",
    "list_type": "a list (lines starting with '- ', or [a, b])",
}
# Messages of pydantic error types that only need the value and the error's context.
_BY_CONTEXT: dict[str, Callable[[Any, dict[str, Any]], str]] = {
    "literal_error": lambda value, ctx: f"{_shown(value)} is not allowed here; use {ctx.get('expected')}",
    "union_tag_invalid": lambda _, ctx: f"unknown type {ctx.get('tag')!r}; supported: {ctx.get('expected_tags')}",
    "union_tag_not_found": lambda _, ctx: (
        f"missing key {ctx.get('discriminator')}, which says what kind of entry this is"
    ),
    "too_short": lambda value, _: "must not be empty" + ("" if isinstance(value, str) else ": list at least one entry"),
    "string_too_short": lambda _, __: "must not be empty",
    "too_long": lambda _, ctx: f"too many entries ({ctx.get('actual_length')}): at most {ctx.get('max_length')}",
    "greater_than_equal": lambda value, ctx: f"{value!r} is too small: the least allowed is {ctx.get('ge')}",
    "less_than_equal": lambda value, ctx: f"{value!r} is too large: the most allowed is {ctx.get('le')}",
}


@dataclass(frozen=True)
class Problem:
    """One problem, located by data path; becomes a ManifestIssue once positions are known.

    :param path: data path of the offending node.
    :param message: what is wrong and how to fix it.
    :param at_key: point at the node's key rather than its value (unknown keys).
    """

    path: DataPath
    message: str
    at_key: bool = False


def to_issues(problems: list[Problem], source: YamlSource) -> list[ManifestIssue]:
    """Locate each problem in the YAML source."""
    issues = []
    for problem in problems:
        position = source.locate(problem.path, at_key=problem.at_key)
        field = format_path(problem.path)
        issues.append(ManifestIssue(source.file, position.line, position.column, field, problem.message))
    return issues


def sort_issues(issues: list[ManifestIssue], first_file: str) -> list[ManifestIssue]:
    """Distinct issues, ``first_file``'s first, then by position."""
    return sorted(set(issues), key=lambda i: (i.file != first_file, i.file, i.line, i.column, i.field, i.message))


def validation_problems(
    error: ValidationError, model: type[BaseModel], source: YamlSource | None = None
) -> list[Problem]:
    """One Problem per pydantic error of validating ``model``."""
    details = error.errors(include_url=False)
    # pydantic-core also reports a sequence as too short when only its items failed; keep the item errors.
    item_errors = {tuple(d["loc"][:-n]) for d in details for n in range(1, len(d["loc"]))}
    problems = []
    for detail in details:
        loc = tuple(detail["loc"])
        if detail["type"] == "too_short" and loc in item_errors:
            continue
        at_key = bool(loc) and loc[-1] == "[key]"
        if at_key:
            loc = loc[:-1]
        path, _ = resolve_loc(model, loc)
        ctx = detail.get("ctx") or {}
        if detail["type"] == ISSUE:
            path = (*path, *ctx.get("at", ()))
        elif detail["type"] == "union_tag_invalid":
            path = (*path, str(ctx.get("discriminator", "")).strip("'"))
        message = _message(detail, model, loc, path, source)
        at_key = at_key or detail["type"] == "extra_forbidden" or bool(ctx.get("at_key"))
        problems.append(Problem(path, message, at_key=at_key))
    return problems


def _message(detail: Any, model: type[BaseModel], loc: tuple, path: DataPath, source: YamlSource | None) -> str:
    kind, ctx, value = detail["type"], detail.get("ctx") or {}, detail.get("input")
    plain = source.plain_text.get(path) if source else None
    if kind == ISSUE:
        return str(ctx["message"])
    if kind == ACCOUNT_ID_NUMBER:
        return _account_id_message(value, plain)
    if kind == "extra_forbidden":
        _, parent = resolve_loc(model, loc[:-1])
        return _unknown_key_message(str(loc[-1]), parent, top_level=len(path) == 1)
    if kind == "missing":
        return f"required key {loc[-1]!r} is missing; add `{loc[-1]}: ...` here"
    if kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, got {describe_type(value)}"
        if plain is not None and kind == "string_type":
            message += f': YAML reads the unquoted {plain} as {describe_type(value)}; quote it: "{plain}"'
        return message
    if kind in _BY_CONTEXT:
        return _BY_CONTEXT[kind](value, ctx)
    if kind == "value_error":
        return str(ctx.get("error", detail["msg"]))
    return str(detail["msg"])


def _shown(value: Any) -> str:
    """A value as an error message quotes it: scalars as written, others by kind."""
    return describe_type(value) if isinstance(value, dict | list | tuple) or value is None else repr(value)


def _account_id_message(value: Any, plain: str | None) -> str:
    written = plain if plain is not None else str(value).zfill(12)
    if written != str(value):
        how = f"as the number {value} (a leading 0 even makes it octal), so the id is lost"
    else:
        how = "as a number, and a number loses leading zeros"
    return f'YAML reads the unquoted account id {written} {how}; account ids are text: quote it, id: "{written}"'


def _unknown_key_message(key: str, parent: type[BaseModel] | None, *, top_level: bool) -> str:
    valid = sorted(field.alias or name for name, field in parent.model_fields.items()) if parent is not None else []
    message = f"unknown key {key!r}{did_you_mean(key, valid)}"
    if valid and not message.endswith("?"):
        message += f"; valid keys here: {', '.join(valid)}"
    if top_level:
        message += " (top-level keys starting with x- are ignored, e.g. for YAML anchors)"
    return message


def resolve_loc(model: type[BaseModel], loc: tuple) -> tuple[DataPath, type[BaseModel] | None]:
    """Follow a pydantic error location through the model types.

    Returns the data path (without discriminated-union tags) and the model reached, if the end is a model.
    """
    path: list[str | int] = []
    current: Any = model
    for element in loc:
        current, is_data = _step(current, element)
        if is_data:
            path.append(element)
    reached = _unwrap(current)[0]
    return tuple(path), reached if _is_model(reached) else None


def _step(annotation: Any, element: Any) -> tuple[Any, bool]:
    annotation, discriminated = _unwrap(annotation)
    if discriminated and isinstance(element, str):
        members = get_args(annotation) if _is_union(annotation) else (annotation,)
        for member in members:
            if _tagged(member, element):
                return member, False
        return None, False
    if _is_model(annotation):
        field = annotation.model_fields.get(element)
        if field is None:
            return None, True
        if field.discriminator is not None:
            return Annotated[field.annotation, FieldInfo(discriminator=field.discriminator)], True
        return field.annotation, True
    origin = get_origin(annotation)
    if origin in (tuple, list) and get_args(annotation):
        return get_args(annotation)[0], True
    if origin is dict:
        return get_args(annotation)[1], True
    return None, True


def _tagged(member: Any, tag: str) -> bool:
    """Whether a member of a discriminated union has ``tag``: its ``Tag``, or a value of its ``type`` field."""
    if get_origin(member) is Annotated:
        args = get_args(member)
        return any(isinstance(meta, Tag) and meta.tag == tag for meta in args[1:]) or _tagged(args[0], tag)
    return (
        _is_model(member) and "type" in member.model_fields and tag in get_args(member.model_fields["type"].annotation)
    )


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip Annotated and Optional; report whether a discriminator was attached."""
    discriminated = False
    while True:
        if get_origin(annotation) is Annotated:
            args = get_args(annotation)
            discriminated |= any(
                isinstance(m, Discriminator) or (isinstance(m, FieldInfo) and m.discriminator) for m in args[1:]
            )
            annotation = args[0]
        elif _is_union(annotation) and type(None) in get_args(annotation):
            rest = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(rest) != 1:
                return annotation, discriminated
            annotation = rest[0]
        else:
            return annotation, discriminated


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
