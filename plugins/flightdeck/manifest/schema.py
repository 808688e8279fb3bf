"""The JSON Schema of the manifest, for editors (yaml-language-server) and ``docs/manifest.schema.json``."""

from __future__ import annotations

import json
from typing import Any

from flightdeck.manifest.loader import IGNORED_PREFIX
from flightdeck.manifest.models import Manifest

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def manifest_json_schema() -> dict[str, Any]:
    """The schema of a manifest file; titles and descriptions come from the models' docstrings."""
    schema = Manifest.model_json_schema()
    schema["patternProperties"] = {
        f"^{IGNORED_PREFIX}": {"description": "Ignored by Flightdeck: a place for YAML anchors (&name) to reuse."}
    }
    return {"$schema": SCHEMA_DIALECT, **schema, "title": "Flightdeck release manifest"}


def manifest_json_schema_text() -> str:
    """The schema as the text of ``docs/manifest.schema.json`` (``flightdeck schema`` prints it)."""
    return json.dumps(manifest_json_schema(), indent=2, ensure_ascii=False) + "\n"
