"""Smoke checks of a deployed target: ``run_checks(session, stack_outputs, checks, placeholders)``."""

from __future__ import annotations

from flightdeck.smoke.results import CheckResult, check_result, failed_checks, summary
from flightdeck.smoke.runner import placeholders_for, run_check, run_checks

__all__ = ["CheckResult", "check_result", "failed_checks", "placeholders_for", "run_check", "run_checks", "summary"]
