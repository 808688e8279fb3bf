"""Release manifests: YAML files validated into frozen models (``load_manifest``, ``discover_manifests``)."""

from __future__ import annotations

from flightdeck.manifest.accounts import (
    AccountEntry,
    AccountTarget,
    DeployRole,
    OrganizationsAccess,
    OrganizationsSelector,
    OrganizationsTarget,
)
from flightdeck.manifest.fields import parse_duration, parse_milliseconds
from flightdeck.manifest.loader import discover_manifests, load_manifest, manifest_application
from flightdeck.manifest.models import Environment, Manifest
from flightdeck.manifest.options import Approval, Refresh, Rollback, RollbackTriggers, StackOptions
from flightdeck.manifest.parameters import ParameterValue, parse_parameter
from flightdeck.manifest.regions import COMMERCIAL_REGIONS
from flightdeck.manifest.smoke import ExpectationsSmokeTest, HttpSmokeTest, LambdaRecords, LambdaSmokeTest, SmokeTest
from flightdeck.manifest.waves import Wave, WaveAssignment, assign_waves

__all__ = [
    "COMMERCIAL_REGIONS",
    "AccountEntry",
    "AccountTarget",
    "Approval",
    "DeployRole",
    "Environment",
    "ExpectationsSmokeTest",
    "HttpSmokeTest",
    "LambdaRecords",
    "LambdaSmokeTest",
    "Manifest",
    "OrganizationsAccess",
    "OrganizationsSelector",
    "OrganizationsTarget",
    "ParameterValue",
    "Refresh",
    "Rollback",
    "RollbackTriggers",
    "SmokeTest",
    "StackOptions",
    "Wave",
    "WaveAssignment",
    "assign_waves",
    "discover_manifests",
    "load_manifest",
    "manifest_application",
    "parse_duration",
    "parse_milliseconds",
    "parse_parameter",
]
