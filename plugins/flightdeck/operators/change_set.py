"""Create the target's change set and report what it would change."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow.sdk import Context

from flightdeck import naming
from flightdeck.aws.cloudformation import create_change_set, describe_stack
from flightdeck.aws.parameters import resolve_parameters_with_versions
from flightdeck.changes import ChangeSummary
from flightdeck.operators.base import TargetOperator
from flightdeck.operators.review import Review, review_change_set


class CreateChangeSetOperator(TargetOperator):
    """Resolve the target's parameters in its account and create a change set against its stack.

    Parameter values never leave this task: XCom carries only their names and a hash.

    :param application: application name (a stack tag).
    :param capabilities: CloudFormation capabilities to acknowledge.
    :param package_task_id: the package task whose upload this change set deploys.
    """

    ui_color = "#fbf3e8"

    def __init__(self, *, application: str, capabilities: Sequence[str], package_task_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.application = application
        self.capabilities = list(capabilities)
        self.package_task_id = package_task_id

    def execute(self, context: Context) -> dict[str, Any]:
        target = self.target
        package = self.pull_own_index(context, self.package_task_id)
        version = context["params"]["version"]
        run_id = context["run_id"]
        session = self.target_session(context)
        sources = [(p.name, p.kind, p.value) for p in target.parameters]
        resolved = resolve_parameters_with_versions(session, sources, release={"version": version, "run_id": run_id})
        parameters = resolved.values
        deployed = describe_stack(session, target.stack_name)
        tags = release_tags(target.tags, version, run_id, deployed.tags if deployed else {})
        change_set = create_change_set(
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
        )
        if change_set.is_empty:
            review = Review(change_set.id, ChangeSummary(), "")
        else:
            review = review_change_set(session, target, change_set.id, resolved.versions)
        self.log.info("Change set %s on %s: %s", change_set.id, target.label, review.summary.headline())
        for flag in review.summary.flags:
            self.log.warning("%s needs a person: %s", target.label, flag.message)
        return {
            **change_set.to_dict(),
            "label": target.label,
            "account_id": target.account_id,
            "region": target.region,
            "version": version,
            "digest": package["digest"],
            "parameters_sha256": _digest(parameters),
            # Which version of each SSM parameter and secret was used: never a value.
            "parameter_versions": resolved.versions,
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
