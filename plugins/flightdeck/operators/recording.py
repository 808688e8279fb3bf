"""What release tasks write to the release ledger (docs/ledger.md): one attempt per run and target.

``package`` starts the attempt, ``create_change_set`` adds the change set and the parameters' version markers,
the gate records who approved, ``smoke_test`` finishes it (or its rollback does), a task that finally fails
records the failure (its ``on_failure_callback``), and ``release_summary`` records the targets that never
started. A dry run records nothing: it deploys nothing. A ledger that cannot be written fails the task (a
deployment nobody can see is worse than a retried task); failure callbacks only log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from airflow.sdk import Context

from flightdeck.ledger import Attempt, Durations, Ledger, Outcome, ledger_url
from flightdeck.plan import Target, TargetCatalog

log = logging.getLogger(__name__)

_lock = threading.Lock()
_ledgers: dict[str, Ledger] = {}


def task_ledger(conn_id: str = "flightdeck_ledger") -> Ledger:
    """The ledger the Airflow connection ``conn_id`` names (else the SQLite file in the Airflow home).

    The first call of a process migrates it to the head (idempotent, and safe when tasks start at once: see
    :func:`flightdeck.ledger.upgrade`); later calls reuse the same ledger and its engine.
    """
    with _lock:
        ledger = _ledgers.get(conn_id)
        if ledger is None:
            ledger = Ledger(ledger_url(conn_id))
            ledger.upgrade()
            _ledgers[conn_id] = ledger
        return ledger


def forget_ledgers() -> None:
    """Close the ledgers this process opened (tests, and a process that forks)."""
    with _lock:
        for ledger in _ledgers.values():
            ledger.close()
        _ledgers.clear()


def recording(context: Context) -> bool:
    """Whether this run's deployments are recorded: every run but a dry run."""
    return not context["params"].get("dry_run")


def attempt_key(context: Context, target: Target) -> dict[str, str]:
    """The attempt's identity in the ledger: run and target."""
    return {
        "dag_id": context["dag"].dag_id,
        "run_id": context["run_id"],
        "environment": target.environment,
        "account_id": target.account_id,
        "region": target.region,
    }


def start_deploy(
    context: Context, target: Target, application: str, *, digest: str | None = None, template_hash: str | None = None
) -> int | None:
    """Start (or, after a clear or a retry, restart) the target's deploy attempt; its id, None in a dry run."""
    if not recording(context):
        return None
    dag_run = context.get("dag_run")
    return task_ledger().start_attempt(
        **attempt_key(context, target),
        application=application,
        stack_name=target.stack_name,
        version=context["params"]["version"],
        triggered_by=getattr(dag_run, "triggering_user_name", None),
        artifact_digest=digest,
        template_hash=template_hash,
    )


def current_attempt(context: Context, target: Target, application: str) -> Attempt | None:
    """The target's deploy attempt of this run, put back in progress if a cleared task runs it again."""
    if not recording(context):
        return None
    ledger = task_ledger()
    attempt = ledger.find_attempt(**attempt_key(context, target))
    if attempt is None or attempt.finished:
        ledger.start_attempt(
            **attempt_key(context, target),
            application=application,
            stack_name=target.stack_name,
            version=context["params"]["version"],
        )
        attempt = ledger.find_attempt(**attempt_key(context, target))
    return attempt


def note_prepared(
    context: Context,
    target: Target,
    application: str,
    *,
    change_set_id: str,
    digest: str,
    parameter_versions: Mapping[str, str],
) -> None:
    """Add what the change set deploys: its id, the artifact and the parameters' version markers (no value)."""
    attempt = current_attempt(context, target, application)
    if attempt is None:
        return
    task_ledger().update_attempt(
        attempt.id,
        change_set_id=change_set_id,
        artifact_digest=digest,
        parameters_hash=parameters_hash(parameter_versions),
        parameter_versions=dict(parameter_versions),
    )


def expected_durations(target: Target, application: str) -> Durations:
    """How long the target's last change set and stack operation took, as recorded (``None`` where unknown).

    Read in dry runs too: the triggers only use them to choose when to look.
    """
    return task_ledger().last_durations(
        application, target.environment, target.account_id, target.region, target.stack_name
    )


def note_durations(
    context: Context,
    target: Target,
    application: str,
    *,
    change_set_seconds: float | None = None,
    operation_seconds: float | None = None,
) -> None:
    """Add how long CloudFormation took to the target's attempt of this run (the next release polls by them)."""
    attempt = current_attempt(context, target, application)
    if attempt is None:
        return
    task_ledger().update_attempt(attempt.id, change_set_seconds=change_set_seconds, operation_seconds=operation_seconds)


def parameters_hash(parameter_versions: Mapping[str, str]) -> str:
    """A digest of the parameters as deployed: names and version markers, never a value (guessable if weak)."""
    return hashlib.sha256(json.dumps(dict(parameter_versions), sort_keys=True).encode()).hexdigest()


def finish_deploy(
    context: Context, target: Target, application: str, outcome: Outcome, message: str | None = None
) -> Attempt | None:
    """Record how the target's deploy attempt of this run ended."""
    attempt = current_attempt(context, target, application)
    if attempt is None:
        return None
    return task_ledger().finish_attempt(attempt.id, outcome, message=message)


def record_rollback(
    context: Context,
    target: Target,
    application: str,
    *,
    rolled_back_to: str | None,
    verified: bool,
    message: str,
) -> None:
    """After a failed smoke test: the rollback's own attempt (when one ran) and the deploy attempt's end."""
    deploy = current_attempt(context, target, application)
    if deploy is None:
        return
    ledger = task_ledger()
    if rolled_back_to is not None:
        rollback = ledger.start_attempt(
            **attempt_key(context, target),
            kind="rollback",
            application=application,
            stack_name=target.stack_name,
            version=deploy.version,
            rollback_of=deploy.id,
            rolled_back_to_version=rolled_back_to,
        )
        ledger.finish_attempt(rollback, Outcome.SUCCEEDED if verified else Outcome.FAILED, message=message)
    ledger.finish_attempt(deploy.id, Outcome.ROLLED_BACK if verified else Outcome.FAILED, message=message)


def record_approval(context: Context, environment: str, approved_by: str, targets: Iterable[tuple[str, str]]) -> None:
    """Who approved the gate of this run's ``environment``, on the attempts of the ``(account, region)`` it passed."""
    if not recording(context):
        return
    task_ledger().record_approval(
        dag_id=context["dag"].dag_id,
        run_id=context["run_id"],
        environment=environment,
        approved_by=approved_by,
        targets=list(targets),
    )


def record_failure(application: str) -> Callable[[Context], None]:
    """An ``on_failure_callback``: the target's attempt failed, with the task's error, unless it has ended already.

    A smoke test that rolled back recorded that itself, so its attempt is not overwritten.
    """

    def callback(context: Context) -> None:
        task = context["task"]
        if not recording(context):
            return
        try:
            target = task.target
            ledger = task_ledger()
            attempt = ledger.find_attempt(**attempt_key(context, target))
            if attempt is not None and attempt.finished:
                return
            attempt_id = attempt.id if attempt else start_deploy(context, target, application)
            error = context.get("exception")
            message = f"{task.task_id}: {error}" if error else f"{task.task_id} failed"
            if attempt_id is not None:
                ledger.finish_attempt(attempt_id, Outcome.FAILED, message=message)
        except Exception as err:  # a failure callback must not raise: say it, and go on
            log.error("The release ledger could not record the failure of %s: %s", task.task_id, err)

    return callback


_AT_THE_END = {
    Outcome.NEVER_STARTED: "never started: its wave or an earlier one had failed, or its gate stopped it",
    Outcome.FAILED: "failed (recorded at the end of the run: see the run's task logs)",
    Outcome.SUCCEEDED: "succeeded (recorded at the end of the run)",
}


def record_run_outcome(
    context: Context, application: str, catalogs: Mapping[str, TargetCatalog], waves: Iterable[Mapping[str, Any]]
) -> None:
    """At the end of the run: every target of the summary gets its outcome; what its tasks recorded is kept.

    A target that never started has no attempt yet: it gets one, ``never_started``, so a partial release is no
    evidence for the promotion rule. ``waves`` is the summary's report (``succeeded``/``failed``/``not_started``).
    """
    if not recording(context):
        return
    ledger = task_ledger()
    for wave in waves:
        catalog = catalogs[wave["environment"]]
        ends = ((Outcome.NEVER_STARTED, "not_started"), (Outcome.FAILED, "failed"), (Outcome.SUCCEEDED, "succeeded"))
        for outcome, key in ends:
            for label in wave[key]:
                target = catalog[label]
                attempt = ledger.find_attempt(**attempt_key(context, target))
                if attempt is not None and attempt.finished:
                    continue
                attempt_id = attempt.id if attempt else start_deploy(context, target, application)
                if attempt_id is not None:
                    ledger.finish_attempt(attempt_id, outcome, message=_AT_THE_END[outcome])
