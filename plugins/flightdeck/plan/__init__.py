"""Release plans: ``build_plan(manifest)`` turns a manifest into frozen, ordered dataclasses."""

from __future__ import annotations

from flightdeck.plan.builder import build_plan
from flightdeck.plan.document import environment_tasks, plan_document
from flightdeck.plan.models import (
    AccountSelector,
    Approval,
    EnvironmentPlan,
    ExpectationsCheck,
    HttpCheck,
    LambdaCheck,
    OrganizationsReader,
    ParameterSource,
    Refresh,
    ReleasePlan,
    RollbackRules,
    SmokeCheck,
    Target,
    TargetCatalog,
    WavePlan,
)
from flightdeck.plan.render import describe, format_duration

__all__ = [
    "AccountSelector",
    "Approval",
    "EnvironmentPlan",
    "ExpectationsCheck",
    "HttpCheck",
    "LambdaCheck",
    "OrganizationsReader",
    "ParameterSource",
    "Refresh",
    "ReleasePlan",
    "RollbackRules",
    "SmokeCheck",
    "Target",
    "TargetCatalog",
    "WavePlan",
    "build_plan",
    "describe",
    "environment_tasks",
    "format_duration",
    "plan_document",
]
