"""Read the parts of a CloudFormation template (YAML or JSON) that a manifest must agree with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flightdeck.errors import ManifestError, ManifestIssue


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation short forms (``!Ref``, ``!Sub``, ``!GetAtt``...) as long forms."""


def _short_form(loader: CloudFormationLoader, suffix: str, node: Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - PyYAML has no other node kinds
        value = None
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _short_form)


@dataclass(frozen=True)
class TemplateInfo:
    """What a manifest checks against its template.

    :param path: the template file.
    :param parameters: every declared parameter name.
    :param required: parameters without a ``Default``: each target must supply them.
    :param outputs: declared output names.
    """

    path: Path
    parameters: frozenset[str]
    required: frozenset[str]
    outputs: frozenset[str]


def read_template(path: Path) -> TemplateInfo:
    """Read ``Parameters`` and ``Outputs`` of a CloudFormation template.

    :raises ManifestError: with issues pointing into the template when it cannot be read.
    """
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ManifestError([ManifestIssue(file, 0, 0, "", f"cannot read template: {err}")]) from err
    body = _parse(text, file)
    if not isinstance(body, dict):
        raise ManifestError([ManifestIssue(file, 1, 1, "", "a CloudFormation template is a mapping of sections")])
    parameters = _section(body, "Parameters", file)
    outputs = _section(body, "Outputs", file)
    required = {name for name, spec in parameters.items() if not (isinstance(spec, dict) and "Default" in spec)}
    return TemplateInfo(path, frozenset(parameters), frozenset(required), frozenset(outputs))


def _parse(text: str, file: str) -> Any:
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise ManifestError(
                [ManifestIssue(file, err.lineno, err.colno, "", f"template is not valid JSON: {err.msg}")]
            ) from err
    try:
        return yaml.load(text, Loader=CloudFormationLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = " ".join(part for part in (err.context, err.problem) if part)
        raise ManifestError([ManifestIssue(file, line, column, "", f"template is not valid YAML: {problem}")]) from err
    except (yaml.YAMLError, ValueError) as err:
        raise ManifestError([ManifestIssue(file, 0, 0, "", f"template is not valid YAML: {err}")]) from err


def _section(body: dict[str, Any], name: str, file: str) -> dict[str, Any]:
    section = body.get(name) or {}
    if not isinstance(section, dict):
        raise ManifestError([ManifestIssue(file, 0, 0, name, f"{name} must be a mapping of names")])
    return {str(key): value for key, value in section.items()}
