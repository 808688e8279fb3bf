"""Airflow import error for invalid release manifests (their DAGs are skipped; the valid ones load elsewhere).

Each invalid manifest is reported as ``file:line:col: field: problem``; release_pipelines.py builds the DAGs of
the valid ones, so one broken manifest never hides the others.
"""

from __future__ import annotations

from flightdeck.pipeline import check_release_manifests, manifests_dir

check_release_manifests(manifests_dir())
