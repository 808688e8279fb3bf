"""Release plans: ``build_plan(manifest)`` turns a manifest into frozen, ordered dataclasses."""

from __future__ import annotations

from flightdeck.plan.builder import APPLICATION_TAG, ENVIRONMENT_TAG, build_plan
from flightdeck.plan.models import (
    Approval,
    EnvironmentPlan,
    ParameterSource,
    ReleasePlan,
    SmokeCheck,
    Target,
)
from flightdeck.plan.render import describe, format_duration

__all__ = [
    "APPLICATION_TAG",
    "ENVIRONMENT_TAG",
    "Approval",
    "EnvironmentPlan",
    "ParameterSource",
    "ReleasePlan",
    "SmokeCheck",
    "Target",
    "build_plan",
    "describe",
    "format_duration",
]
