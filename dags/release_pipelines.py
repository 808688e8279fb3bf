"""Airflow DAG loader for release pipelines: one DAG per valid release manifest (see docs/architecture.md)."""

from __future__ import annotations

from flightdeck.pipeline import load_release_dags, manifests_dir

globals().update(load_release_dags(manifests_dir()))
