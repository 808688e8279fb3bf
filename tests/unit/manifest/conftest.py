"""Helpers of the manifest tests: a minimal valid manifest and writers for variants of it."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from manifest_samples import HELLO_TEMPLATE

from flightdeck.errors import ManifestError, ManifestIssue
from flightdeck.manifest import load_manifest


@pytest.fixture
def write_manifest(tmp_path: Path) -> Callable[..., Path]:
    """Write manifest text (dedented) next to a copy of the hello template; returns the manifest path."""
    shutil.copy(HELLO_TEMPLATE, tmp_path / "template.yaml")

    def write(text: str, name: str = "manifest.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def issues_of(write_manifest: Callable[..., Path]) -> Callable[[str], list[ManifestIssue]]:
    """Load manifest text that must be invalid; returns its issues."""

    def issues(text: str) -> list[ManifestIssue]:
        path = write_manifest(text)
        with pytest.raises(ManifestError) as info:
            load_manifest(path)
        return info.value.issues

    return issues


@pytest.fixture
def issue_of(issues_of: Callable[[str], list[ManifestIssue]]) -> Callable[[str], ManifestIssue]:
    """Load manifest text that must have exactly one issue; returns it."""

    def issue(text: str) -> ManifestIssue:
        issues = issues_of(text)
        assert len(issues) == 1, "\n".join(str(issue) for issue in issues)
        return issues[0]

    return issue
