"""Load a manifest file: safe YAML, strict validation, cross checks; every problem reported at once."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from flightdeck.errors import ManifestError, ManifestIssue
from flightdeck.manifest.checks import check_manifest
from flightdeck.manifest.issues import sort_issues, to_issues, validation_problems
from flightdeck.manifest.models import Manifest
from flightdeck.manifest.template import read_template
from flightdeck.manifest.template_checks import check_template
from flightdeck.manifest.yamlsource import parse_yaml

MANIFEST_SUFFIXES = (".yaml", ".yml")
IGNORED_PREFIX = "x-"  # top-level keys for YAML anchors, ignored by validation


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read, validate and cross-check one manifest file.

    :raises ManifestError: with every issue found, each pointing at a file, line and column.
    """
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ManifestError([ManifestIssue(file, 0, 0, "", "manifest file not found")]) from err
    except (OSError, UnicodeDecodeError) as err:
        raise ManifestError([ManifestIssue(file, 0, 0, "", f"cannot read manifest: {err}")]) from err

    source = parse_yaml(text, file)
    if not isinstance(source.data, dict):
        message = "a manifest is a YAML mapping that starts with `version: 1`"
        empty = source.data is None and not source.issues
        raise ManifestError([*source.issues, ManifestIssue(file, 1, 1, "", "empty file" if empty else message)])
    data = {key: value for key, value in source.data.items() if not key.startswith(IGNORED_PREFIX)}
    try:
        manifest = Manifest.from_data(data, source=path.resolve())
    except ValidationError as err:
        problems = [p for p in validation_problems(err, Manifest, source) if not source.is_broken(p.path)]
        raise ManifestError(sort_issues(source.issues + to_issues(problems, source), file)) from err

    problems = check_manifest(manifest)
    template_issues: list[ManifestIssue] = []
    try:
        template = read_template(manifest.template_path)
    except ManifestError as err:
        template_issues = err.issues
    else:
        problems += check_template(manifest, template)
    issues = source.issues + to_issues(problems, source) + template_issues
    if issues:
        raise ManifestError(sort_issues(issues, file))
    return manifest


def manifest_application(path: str | os.PathLike[str]) -> str | None:
    """The ``application`` a manifest file names, read without validating anything (None if it names none or is
    not YAML): a quick way to find one application's manifest among many."""
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    application = data.get("application") if isinstance(data, dict) else None
    return application if isinstance(application, str) else None


def discover_manifests(directory: str | os.PathLike[str]) -> list[Path]:
    """The manifest files (``*.yaml``, ``*.yml``, not hidden) directly in ``directory``, sorted by name.

    :raises FileNotFoundError: when the directory does not exist.
    """
    return sorted(
        entry
        for entry in Path(directory).iterdir()
        if entry.suffix in MANIFEST_SUFFIXES and entry.is_file() and not entry.name.startswith(".")
    )
