"""Create the target's change set and report what it would change."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowSkipException

from flightdeck import naming
from flightdeck.aws.cloudformation import describe_change_set_pages, describe_stack, read_change_set, start_change_set
from flightdeck.aws.parameters import resolve_parameters_with_versions
from flightdeck.aws.session import AccountSession
from flightdeck.changes import ChangeSummary
from flightdeck.operators.base import TargetOperator, fail_fast, trigger_failure
from flightdeck.operators.promotion import check_promotion
from flightdeck.operators.recording import expected_durations, note_durations, note_prepared
from flightdeck.operators.review import Review, review_change_set
from flightdeck.plan import EnvironmentPlan
from flightdeck.triggers import ChangeSetReadyTrigger
from flightdeck.triggers.schedule import first_look_pays


class CreateChangeSetOperator(TargetOperator):
    """Resolve the target's parameters in its account and create a change set against its stack.

    Waiting for CloudFormation to finish the change set is deferred (:class:`ChangeSetReadyTrigger`): no worker
    slot is held meanwhile, and the trigger looks when the target's previous change set (release ledger) would
    have been ready; how long this one took is recorded for the next. A retry or a clear reuses the change set of
    this run if it is still usable. Parameter values never leave this task: XCom (and the deferral's arguments)
    carry only their names, versions and a hash.

    :param application: application name (a stack tag).
    :param capabilities: CloudFormation capabilities to acknowledge.
    :param package_task_id: the package task whose upload this change set deploys.
    :param previous_environment: the environment before this one, where the version must have succeeded first
        (:mod:`flightdeck.operators.promotion`); None for the first.
    :param poll_seconds: how often the trigger looks at the change set when the previous one's time is unknown.
    """

    ui_color = "#fbf3e8"

    def __init__(
        self,
        *,
        application: str,
        capabilities: Sequence[str],
        package_task_id: str,
        previous_environment: EnvironmentPlan | None = None,
        poll_seconds: float = 5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.application = application
        self.previous_environment = previous_environment
        self.capabilities = list(capabilities)
        self.package_task_id = package_task_id
        self.poll_seconds = poll_seconds

    @fail_fast
    def execute(self, context: Context) -> dict[str, Any]:
        target = self.target
        package = self.pull_own_index(context, self.package_task_id)
        if package is None:
            raise AirflowSkipException(f"{target.label}: nothing was packaged, so there is no change set to create")
        check_promotion(context, target, self.application, self.previous_environment, package["digest"])
        version = context["params"]["version"]
        run_id = context["run_id"]
        session = self.target_session(context)
        sources = [(p.name, p.kind, p.value) for p in target.parameters]
        resolved = resolve_parameters_with_versions(session, sources, release={"version": version, "run_id": run_id})
        parameters = resolved.values
        deployed = describe_stack(session, target.stack_name)
        tags = release_tags(target.tags, version, run_id, deployed.tags if deployed else {})
        started = start_change_set(
            session,
            stack_name=target.stack_name,
            change_set_name=naming.change_set_name(run_id, target.label),
            template_url=package["template_url"],
            parameters=parameters,
            tags=tags,
            capabilities=self.capabilities,
            execution_role_arn=target.execution_role_arn,
            description=f"{self.application} {version} ({run_id})",
            options=self.stack_options,
            stack=deployed,
        )
        note_prepared(
            context,
            target,
            self.application,
            change_set_id=started.id,
            digest=package["digest"],
            parameter_versions=resolved.versions,
        )
        # Only what is safe to store in the metadata database: no parameter value.
        prepared = {
            "change_set_type": started.change_set_type,
            "version": version,
            "digest": package["digest"],
            "parameters_sha256": _digest(parameters),
            "parameter_versions": resolved.versions,
            # Made now, so the trigger's seconds are its creation time (a reused one began earlier).
            "timed": not started.reused,
        }
        expected = expected_durations(target, self.application).change_set_seconds if not started.reused else None
        trigger = ChangeSetReadyTrigger(
            stack_name=target.stack_name,
            change_set_id=started.id,
            **self.trigger_arguments(context),
            waiter_delay=self.poll_seconds,
            expected_seconds=expected,
        )
        # One look first when the change set may be ready already: then no deferral is needed.
        event = trigger.poll(session) if first_look_pays(expected) else None
        if event is None:
            self.log.info("%s: waiting for change set %s (deferred)", target.label, started.id)
            self.defer(trigger=trigger, method_name="change_set_settled", kwargs={"prepared": prepared})
        return self._report(context, session, event, prepared)

    @fail_fast
    def change_set_settled(self, context: Context, event: dict[str, Any], prepared: dict[str, Any]) -> dict[str, Any]:
        """Resume when CloudFormation has finished the change set."""
        return self._report(context, self.target_session(context), event, prepared)

    def _report(
        self, context: Context, session: AccountSession, event: dict[str, Any], prepared: dict[str, Any]
    ) -> dict[str, Any]:
        """The XCom: the change set, what it changes (the review) and where its inputs came from."""
        target = self.target
        outcome = event["outcome"]
        if outcome not in ("ready", "empty"):
            raise trigger_failure(target, event, f"Change set {event['change_set_id']} is not ready ({outcome})")
        if prepared.get("timed"):
            note_durations(context, target, self.application, change_set_seconds=event.get("seconds"))
        pages = describe_change_set_pages(session, stack_name=target.stack_name, change_set_id=event["change_set_id"])
        change_set = read_change_set(
            session,
            stack_name=target.stack_name,
            change_set_id=event["change_set_id"],
            change_set_type=prepared["change_set_type"],
            pages=pages,
        )
        if change_set.is_empty:
            review = Review(change_set.id, ChangeSummary(), "")
        else:
            review = review_change_set(session, target, change_set.id, prepared["parameter_versions"], pages)
        self.log.info("Change set %s on %s: %s", change_set.id, target.label, review.summary.headline())
        for flag in review.summary.flags:
            self.log.warning("%s needs a person: %s", target.label, flag.message)
        return {
            **change_set.to_dict(),
            "label": target.label,
            "account_id": target.account_id,
            "region": target.region,
            "version": prepared["version"],
            "digest": prepared["digest"],
            "parameters_sha256": prepared["parameters_sha256"],
            # Which version of each SSM parameter and secret was used: never a value.
            "parameter_versions": prepared["parameter_versions"],
            # What it changes, and the fingerprint an approval binds to.
            "review": review.to_dict(),
        }


def release_tags(
    target_tags: Iterable[tuple[str, str]], version: str, run_id: str, deployed_tags: Mapping[str, str]
) -> dict[str, str]:
    """The stack's tags for this release.

    The run-id tag names the run that deployed the stack's version: re-releasing the version that is already
    deployed keeps it, so a re-run that changes nothing gives an empty change set instead of a tag update.
    """
    same_version = deployed_tags.get(naming.VERSION_TAG) == version and naming.RUN_ID_TAG in deployed_tags
    deployed_by = deployed_tags[naming.RUN_ID_TAG] if same_version else run_id
    return {**dict(target_tags), naming.VERSION_TAG: version, naming.RUN_ID_TAG: deployed_by}


def _digest(parameters: dict[str, str]) -> str:
    """A hash that tells whether parameters changed without revealing any value."""
    return hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()
