"""``when_imported``: fixes run once the module they patch has been imported, never before."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from flightdeck.localaws.post_import import when_imported


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throw-away package ``lazypkg`` with a module ``target`` that records its own import."""
    root = tmp_path / "lazypkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "target.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "lazypkg.target"
    for name in ("lazypkg.target", "lazypkg"):
        sys.modules.pop(name, None)


def test_callback_runs_after_the_module_is_imported(package: str) -> None:
    seen: list[int] = []

    when_imported(package, lambda module: seen.append(module.VALUE))
    assert seen == []
    module = importlib.import_module(package)

    assert seen == [1]
    assert module.VALUE == 1
    importlib.reload(module)
    assert seen == [1]  # once


def test_callback_runs_at_once_for_an_imported_module(package: str) -> None:
    importlib.import_module(package)
    seen: list[ModuleType] = []

    when_imported(package, seen.append)

    assert [module.__name__ for module in seen] == [package]


def test_a_failing_callback_fails_the_import(package: str) -> None:
    def broken(module: ModuleType) -> None:
        raise RuntimeError("cannot patch")

    when_imported(package, broken)

    with pytest.raises(RuntimeError, match="cannot patch"):
        importlib.import_module(package)
