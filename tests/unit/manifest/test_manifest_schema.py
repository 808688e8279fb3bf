"""Tests of the manifest's JSON Schema: the committed copy is current, and it agrees with the validator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from manifest_samples import FIXTURES

from flightdeck.manifest.schema import manifest_json_schema, manifest_json_schema_text

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "docs" / "manifest.schema.json"
VALID_MANIFESTS = [ROOT / "include" / "manifests" / "hello.yaml", *sorted((FIXTURES / "manifests").glob("*.yaml"))]


@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = manifest_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_committed_schema_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == manifest_json_schema_text(), (
        "docs/manifest.schema.json is out of date: run `flightdeck schema > docs/manifest.schema.json`"
    )


@pytest.mark.parametrize("path", VALID_MANIFESTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_valid_manifests_match_the_schema(validator, path: Path) -> None:
    assert [error.message for error in validator.iter_errors(yaml.safe_load(path.read_text()))] == []


def test_editors_flag_unknown_keys_but_not_anchor_keys(validator) -> None:
    data = yaml.safe_load((FIXTURES / "manifests" / "hello.yaml").read_text())
    assert validator.is_valid({**data, "x-defaults": {"anything": 1}})
    assert not validator.is_valid({**data, "smoke_test": []})
    data["environments"][0]["accounts"][0]["id"] = 111111111111
    assert not validator.is_valid(data)


def test_descriptions_come_from_the_model_docstrings() -> None:
    wave = manifest_json_schema()["$defs"]["Wave"]
    assert wave["description"] == (
        "A group of an environment's targets deployed together; waves deploy one after the other."
    )
    assert wave["properties"]["bake_time"]["description"] == (
        "how long to wait after the wave before the next one starts (default: no wait)."
    )
    assert json.loads(manifest_json_schema_text())["title"] == "Flightdeck release manifest"
