"""The promotion rule: a version deploys to an environment only after it succeeded in the previous one.

"Succeeded in the previous environment" is read from the release ledger: one DAG run deployed the version there,
with the same artifact digest, and that environment passed as its waves define passing: no target still in
progress or never started, at least one succeeded, and per wave no more failed targets than the wave tolerates.
The rule is checked before a target's change set is created; the trigger option ``promotion_override`` (a reason)
lets a release past it, and the override is recorded in the ledger with who and why.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import groupby

from airflow.sdk import Context

from flightdeck import naming
from flightdeck.errors import FlightdeckError
from flightdeck.ledger import Attempt, Outcome
from flightdeck.operators.recording import task_ledger
from flightdeck.plan import EnvironmentPlan, Target, WavePlan
from flightdeck.waves import tolerated_failures

log = logging.getLogger(__name__)

OVERRIDE_PARAM = "promotion_override"
_FAILED = (Outcome.FAILED, Outcome.ROLLED_BACK)


class PromotionRefused(FlightdeckError):
    """The version has not succeeded in the previous environment, and no override was given."""


def why_not_promoted(attempts: Sequence[Attempt], previous: EnvironmentPlan, digest: str) -> str | None:
    """None when one run of ``attempts`` (a version's deploy attempts in ``previous``) passed ``previous`` with
    ``digest``; otherwise why not (the newest run's reason)."""
    if not attempts:
        return "no run has deployed it there"
    reasons = []
    runs = groupby(sorted(attempts, key=lambda a: (a.dag_id, a.run_id)), key=lambda a: (a.dag_id, a.run_id))
    for (_, run_id), grouped in runs:
        run = list(grouped)
        reason = _run_failed(run, previous, digest)
        if reason is None:
            return None
        reasons.append((max(a.started_at for a in run), f"run {run_id}: {reason}"))
    return max(reasons)[1]


def _run_failed(attempts: list[Attempt], previous: EnvironmentPlan, digest: str) -> str | None:
    """Why one run's attempts in ``previous`` are no evidence for ``digest``, or None when they are."""
    busy = [a for a in attempts if a.outcome is Outcome.IN_PROGRESS]
    if busy:
        return f"{len(busy)} target(s) still in progress"
    never = [a for a in attempts if a.outcome is Outcome.NEVER_STARTED]
    if never:
        return f"{len(never)} target(s) never started"
    succeeded = [a for a in attempts if a.outcome is Outcome.SUCCEEDED]
    if not succeeded:
        return "no target succeeded"
    other = sorted({a.artifact_digest or "none" for a in succeeded} - {digest})
    if other:
        return f"it deployed another artifact ({', '.join(d[:12] for d in other)}, not {digest[:12]})"
    for wave in previous.waves:
        in_wave = [a for a in attempts if _wave_of(a, previous) is wave]
        failed = [a for a in in_wave if a.outcome in _FAILED]
        allowed = tolerated_failures(len(in_wave), wave.failure_tolerance_count, wave.failure_tolerance_percent)
        if len(failed) > allowed:
            return f"wave {wave.name}: {len(failed)} target(s) failed, {allowed} tolerated"
    return None


def _wave_of(attempt: Attempt, environment: EnvironmentPlan) -> WavePlan:
    """The wave of the environment that deployed the attempt's target (selected accounts join the last one)."""
    label = naming.target_label(attempt.environment, attempt.account_id, attempt.region)
    for wave in environment.waves:
        if label in wave.labels:
            return wave
    return environment.waves[-1]


def check_promotion(
    context: Context, target: Target, application: str, previous: EnvironmentPlan | None, digest: str
) -> None:
    """Refuse the target's change set unless its version succeeded in ``previous`` (or an override is given).

    :raises PromotionRefused: naming the version, the environments and what to do.
    """
    if previous is None or context["params"].get("dry_run"):
        return
    version = context["params"]["version"]
    ledger = task_ledger()
    reason = why_not_promoted(ledger.release_attempts(application, previous.name, version), previous, digest)
    if reason is None:
        log.info("%s: %s (artifact %s) succeeded in %s", target.label, version, digest[:12], previous.name)
        return
    override = (context["params"].get(OVERRIDE_PARAM) or "").strip()
    if not override:
        raise PromotionRefused(
            f"{target.label}: {version} (artifact {digest[:12]}) has not succeeded in {previous.name}, the "
            f"environment before {target.environment} ({reason}). Nothing was changed here. Release it to "
            f"{previous.name} first, or trigger the run again with the option {OVERRIDE_PARAM} set to the reason "
            "(the override is recorded in the release ledger)"
        )
    run_id = context["run_id"]
    recorded = ledger.overrides(application, environment=target.environment, version=version)
    if not any(o.run_id == run_id for o in recorded):
        ledger.record_override(
            application=application,
            environment=target.environment,
            version=version,
            artifact_digest=digest,
            run_id=run_id,
            overridden_by=context["dag_run"].triggering_user_name or "unknown",
            reason=override,
        )
    log.warning(
        "%s: %s has not succeeded in %s (%s); deploying anyway: promotion overridden (%s)",
        target.label,
        version,
        previous.name,
        reason,
        override,
    )
