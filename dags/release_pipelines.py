"""Airflow DAG loader for release pipelines: one DAG per release manifest (see docs/architecture.md)."""

from __future__ import annotations

import os
from pathlib import Path

from flightdeck.pipeline import load_release_dags

MANIFESTS_DIR = Path(
    os.environ.get("FLIGHTDECK_MANIFESTS_DIR", Path(__file__).resolve().parent.parent / "include" / "manifests")
)

globals().update(load_release_dags(MANIFESTS_DIR))
