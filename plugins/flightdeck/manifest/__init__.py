"""Release manifests: YAML files validated into frozen models (``load_manifest``, ``discover_manifests``)."""

from __future__ import annotations

from flightdeck.manifest.fields import ParameterValue, parse_duration, parse_parameter
from flightdeck.manifest.loader import discover_manifests, load_manifest
from flightdeck.manifest.models import (
    AccountTarget,
    Approval,
    DeployRole,
    Environment,
    LambdaSmokeTest,
    Manifest,
    SmokeTest,
)
from flightdeck.manifest.regions import COMMERCIAL_REGIONS

__all__ = [
    "COMMERCIAL_REGIONS",
    "AccountTarget",
    "Approval",
    "DeployRole",
    "Environment",
    "LambdaSmokeTest",
    "Manifest",
    "ParameterValue",
    "SmokeTest",
    "discover_manifests",
    "load_manifest",
    "parse_duration",
    "parse_parameter",
]
