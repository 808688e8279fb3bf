"""A change set that deploys a target's recorded, verified release again: what rollback and refresh both start."""

from __future__ import annotations

from collections.abc import Sequence

from flightdeck.aws.cloudformation import StartedChangeSet, start_change_set
from flightdeck.aws.parameters import resolve_pinned_parameters
from flightdeck.aws.releases import ReleaseRecord
from flightdeck.aws.session import AccountSession
from flightdeck.aws.stack_options import StackOptions
from flightdeck.operators.change_set import release_tags
from flightdeck.plan import Target


def start_recorded_release(
    session: AccountSession,
    target: Target,
    record: ReleaseRecord,
    *,
    change_set_name: str,
    description: str,
    capabilities: Sequence[str],
    options: StackOptions,
    deployment_mode: str | None = None,
) -> StartedChangeSet:
    """Start a change set of ``record``: its immutable template, each parameter read at the version recorded then,
    and its version and run-id tags (``deployment_mode="REVERT_DRIFT"`` also puts drifted properties back)."""
    parameters = resolve_pinned_parameters(
        session,
        [(p.name, p.kind, p.value) for p in target.parameters],
        versions=record.parameter_versions,
        release={"version": record.version, "run_id": record.run_id},
    )
    return start_change_set(
        session,
        stack_name=target.stack_name,
        change_set_name=change_set_name,
        template_url=record.template_url,
        parameters=parameters,
        tags=release_tags(target.tags, record.version, record.run_id, {}),
        capabilities=list(capabilities),
        execution_role_arn=target.execution_role_arn,
        description=description,
        options=options,
        deployment_mode=deployment_mode,
    )
