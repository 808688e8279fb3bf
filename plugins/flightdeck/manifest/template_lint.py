"""Lint a CloudFormation template with cfn-lint; its errors become issues pointing into the template."""

from __future__ import annotations

import os
from pathlib import Path

from flightdeck.errors import ManifestIssue
from flightdeck.manifest.yamlsource import format_path


def lint_template(path: str | os.PathLike[str]) -> list[ManifestIssue]:
    """cfn-lint's errors (not its warnings or informational findings) in the template at ``path``.

    Each issue has the template's file, line and column, the path of the offending node as its field, and the
    rule id in its message. Takes about a second, so ``flightdeck validate`` runs it and ``load_manifest`` does not.
    """
    from cfnlint.api import lint_file  # imports every rule: only when linting

    file = Path(path)
    issues = []
    for match in lint_file(file):
        rule = match.rule
        if rule.severity != "error":
            continue
        where = format_path(tuple(getattr(match, "path", None) or ()))
        see = f"; see {rule.source_url}" if rule.source_url else ""
        message = f"cfn-lint {rule.id}: {match.message} ({rule.shortdesc}{see})"
        issues.append(ManifestIssue(str(file), match.linenumber, match.columnnumber, where, message))
    return issues
