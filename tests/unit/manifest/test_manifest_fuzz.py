"""Property test: a mutated manifest loads and plans, or fails with located issues; no other exception escapes."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from manifest_samples import FIXTURES

from flightdeck.errors import ManifestError
from flightdeck.manifest import load_manifest
from flightdeck.plan import build_plan, describe, plan_document

INCLUDE = Path(__file__).resolve().parents[3] / "include"
# Valid manifests the mutations start from: (folder copied to the workspace, manifest inside it).
BASES = [
    (FIXTURES, "manifests/hello.yaml"),
    (FIXTURES, "manifests/full.yaml"),
    (INCLUDE, "manifests/hello.yaml"),
]
# Values that reach deeper rules than random text does.
MEANINGFUL = st.sampled_from(
    [
        "*",
        "111111111111",
        "333333333333/eu-west-1",
        "333333333333/us-west-2",
        "eu-west-1",
        "ssm:/a/{region}",
        "ssm:/a/{nope}",
        "secretsmanager:a/b:key",
        "secretsmanager:",
        "release:run_id",
        "{account_id}",
        "{",
        "10%",
        "101%",
        "0 3 * * *",
        "61 * * * *",
        "1h",
        "0s",
        "99999999999999999d",
        "policies/prod.json",
        "../apps/hello/template.yaml",
        "arn:aws:sns:{region}:{account_id}:t",
        "aws:tag",
        "/Root/Workloads",
        "dev",
        "prod",
        "approve",
        "benign",
        "http",
        "expectations",
        "500ms",
        "data.items[0].id",
        "../apps/hello/expectations/greeting.json",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.dates(),
    MEANINGFUL,
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=8), MEANINGFUL), children, max_size=3),
    ),
    max_leaves=6,
)
KEYS = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["id", "organizations", "regions", "waves", "targets", "stack_options", "x-anchor", "refresh"]),
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    """Each base manifest's path in a copy of its folder, and the text it starts from."""
    bases = []
    for index, (folder, manifest) in enumerate(BASES):
        copy = tmp_path_factory.mktemp(f"base{index}")
        for name in ("manifests", "apps/hello/template.yaml", "apps/hello/expectations"):
            source = folder / name
            if not source.exists():
                continue
            if source.is_dir():
                shutil.copytree(source, copy / name)
            else:
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, copy / name)
        bases.append((copy / "manifests" / "fuzz.yaml", (folder / manifest).read_text(encoding="utf-8")))
    return bases


def _nodes(data: Any, path: tuple = ()) -> list[tuple]:
    """The path of every node under ``data`` (the document itself is ``()``)."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _nodes(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _nodes(value, (*path, index))
    return found


def _mutate(data: Any, draw: st.DrawFn) -> Any:
    """One random change at a random node: delete, replace, rename, insert, duplicate."""
    path = draw(st.sampled_from(_nodes(data)))
    if not path:
        return draw(VALUES) if draw(st.integers(0, 9)) == 0 else data
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    operation = draw(st.sampled_from(["delete", "replace", "rename", "insert", "duplicate"]))
    if operation == "delete":
        del parent[last]
    elif operation == "replace":
        parent[last] = draw(VALUES)
    elif operation == "rename" and isinstance(parent, dict):
        parent[draw(KEYS)] = parent.pop(last)
    elif operation == "insert" and isinstance(parent, dict):
        parent[draw(KEYS)] = draw(VALUES)
    elif isinstance(parent, list):
        parent.insert(draw(st.integers(0, len(parent))), copy.deepcopy(parent[last]))
    return data


def _mutate_text(text: str, draw: st.DrawFn) -> str:
    """One random change of the YAML source: a line deleted, duplicated or swapped, or characters inserted."""
    lines = text.splitlines(keepends=True)
    index = draw(st.integers(0, len(lines) - 1))
    operation = draw(st.sampled_from(["delete", "duplicate", "swap", "insert"]))
    if operation == "delete":
        del lines[index]
    elif operation == "duplicate":
        lines.insert(index, lines[index])
    elif operation == "swap":
        other = draw(st.integers(0, len(lines) - 1))
        lines[index], lines[other] = lines[other], lines[index]
    else:
        position = draw(st.integers(0, len(lines[index])))
        extra = draw(
            st.one_of(
                st.sampled_from([" ", "  ", ":", "-", "[", "]", "{", "}", "'", '"', "#", "&a", "*a", "\t", "!"]),
                st.text(max_size=3),
            )
        )
        lines[index] = lines[index][:position] + extra + lines[index][position:]
    return "".join(lines)


def _check(path: Path, text: str) -> None:
    """Loading ``text`` either gives a plan that renders, or issues that each say where they are."""
    path.write_text(text, encoding="utf-8")
    try:
        manifest = load_manifest(path)
    except ManifestError as err:
        issues = err.issues
    else:
        plan = build_plan(manifest)
        describe(plan)
        json.dumps(plan_document(plan))
        return
    unlocated = [issue for issue in issues if not issue.file or (issue.line < 1 and not issue.field)]
    assert issues
    assert not unlocated, unlocated


@pytest.fixture(scope="module")
def documents(workspace: list[tuple[Path, str]]) -> list[tuple[Path, Any]]:
    """Each base manifest's path in the workspace and its parsed YAML."""
    return [(path, yaml.safe_load(text)) for path, text in workspace]


@settings(max_examples=1100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_data(documents: list[tuple[Path, Any]], data: st.DataObject) -> None:
    path, document = data.draw(st.sampled_from(documents))
    document = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(1, 3))):
        document = _mutate(document, data.draw)
    _check(path, yaml.dump(document, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True))


@settings(max_examples=900, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_text(workspace: list[tuple[Path, str]], data: st.DataObject) -> None:
    path, text = data.draw(st.sampled_from(workspace))
    for _ in range(data.draw(st.integers(1, 3))):
        text = _mutate_text(text, data.draw)
    _check(path, text)


def test_every_base_is_valid(workspace: list[tuple[Path, str]]) -> None:
    for path, text in workspace:
        _check(path, text)
        assert build_plan(load_manifest(path)).environments
