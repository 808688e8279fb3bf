"""The release plan: frozen, deterministic dataclasses the DAG builder and operators read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from flightdeck.plan.smoke import ExpectationsCheck, HttpCheck, LambdaCheck, SmokeCheck
from flightdeck.plan.target import AccountSelector, OrganizationsReader, ParameterSource, Target, TargetCatalog

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
]


@dataclass(frozen=True)
class Approval:
    """The gate before an environment's change sets are executed.

    :param required: whether to wait for a person.
    :param approvers: Airflow user names allowed to approve.
    :param timeout_seconds: how long to wait, None for ever.
    :param on_timeout: what a timeout means: ``reject`` or ``approve``.
    :param auto_approve: when the gate passes without a person: ``never``, ``empty`` (every change set of the
        wave is empty) or ``benign``; a flagged change (stateful replacement, IAM or network broadening) always
        needs one of ``approvers``, even when ``required`` is false.
    :param per: one gate per ``wave`` or per ``target``.
    :param notify: SNS topic ARNs told when approval is requested.
    """

    required: bool
    approvers: tuple[str, ...]
    timeout_seconds: int | None
    on_timeout: Literal["reject", "approve"] = "reject"
    auto_approve: Literal["never", "empty", "benign"] = "empty"
    per: Literal["wave", "target"] = "wave"
    notify: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {
            "required": self.required,
            "approvers": list(self.approvers),
            "timeout_seconds": self.timeout_seconds,
            "on_timeout": self.on_timeout,
            "auto_approve": self.auto_approve,
            "per": self.per,
            "notify": list(self.notify),
        }


@dataclass(frozen=True)
class RollbackRules:
    """What happens to a target of the environment whose smoke tests fail.

    :param on_smoke_failure: roll the target back to what ran before the release.
    :param delete_created_stacks: delete a stack the release created instead of keeping it.
    """

    on_smoke_failure: bool = True
    delete_created_stacks: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {"on_smoke_failure": self.on_smoke_failure, "delete_created_stacks": self.delete_created_stacks}


@dataclass(frozen=True)
class WavePlan:
    """A group of an environment's targets deployed together; waves run one after the other.

    :param name: wave name.
    :param labels: labels of its targets, in manifest order (accounts selected at run time join the last wave).
    :param max_concurrent: how many targets deploy at once, None for all.
    :param failure_tolerance_count: failed targets tolerated before the environment stops (0: the first failure
        stops it); None when the tolerance is a percentage.
    :param failure_tolerance_percent: failed targets tolerated, as a percentage of the wave; None when it is a
        count.
    :param bake_time_seconds: how long to wait after the wave before the next one starts.
    :param selected: the accounts the environment selects from AWS Organizations join this wave at run time.
    """

    name: str
    labels: tuple[str, ...]
    max_concurrent: int | None = None
    failure_tolerance_count: int | None = 0
    failure_tolerance_percent: int | None = None
    bake_time_seconds: int = 0
    selected: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {
            "name": self.name,
            "labels": list(self.labels),
            "max_concurrent": self.max_concurrent,
            "failure_tolerance_count": self.failure_tolerance_count,
            "failure_tolerance_percent": self.failure_tolerance_percent,
            "bake_time_seconds": self.bake_time_seconds,
            "selected": self.selected,
        }


@dataclass(frozen=True)
class EnvironmentPlan:
    """One environment: its approval gate and its targets in manifest order (accounts, then regions).

    :param name: environment name.
    :param approval: the gate before executing.
    :param targets: the stacks to deploy in the accounts listed by id.
    :param waves: the targets grouped into waves, deployed in this order.
    :param selectors: accounts selected from AWS Organizations at run time.
    :param execution: who executes approved change sets: ``orchestrator`` or ``account-owner``.
    :param rollback: what happens to a target whose smoke tests fail.
    """

    name: str
    approval: Approval
    targets: tuple[Target, ...]
    waves: tuple[WavePlan, ...] = ()
    selectors: tuple[AccountSelector, ...] = ()
    execution: Literal["orchestrator", "account-owner"] = "orchestrator"
    rollback: RollbackRules = RollbackRules()

    @property
    def catalog(self) -> TargetCatalog:
        """Every target of the environment by label, selected accounts included."""
        return TargetCatalog(self.name, self.targets, self.selectors)


@dataclass(frozen=True)
class Refresh:
    """A scheduled refresh of deployed stacks.

    :param schedule: cron expression (UTC) or preset like ``@daily``.
    :param environments: the environments refreshed, in manifest order of the list.
    """

    schedule: str
    environments: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {"schedule": self.schedule, "environments": list(self.environments)}


@dataclass(frozen=True)
class ReleasePlan:
    """Everything one release DAG does, in order.

    :param application: application name.
    :param description: free text from the manifest.
    :param dag_id: ``release__<application>``.
    :param manifest_path: absolute path of the manifest file ("" when not loaded from a file).
    :param template_path: the CloudFormation template file.
    :param aws_conn_id: Airflow connection of the orchestrator's AWS identity.
    :param capabilities: CloudFormation capabilities, sorted.
    :param environments: environments in deploy order.
    :param smoke_checks: checks run after each target is deployed, in manifest order (one class per kind).
    :param refresh: the scheduled refresh, if any.
    :param organizations: the role that selects accounts from AWS Organizations, if an environment does.
    """

    application: str
    description: str
    dag_id: str
    manifest_path: str
    template_path: str
    aws_conn_id: str
    capabilities: tuple[str, ...]
    environments: tuple[EnvironmentPlan, ...]
    smoke_checks: tuple[SmokeCheck, ...]
    refresh: Refresh | None = None
    organizations: OrganizationsReader | None = None

    @property
    def targets(self) -> tuple[Target, ...]:
        """Every target of every environment, in deploy order."""
        return tuple(target for environment in self.environments for target in environment.targets)

    def previous_environment(self, name: str) -> EnvironmentPlan | None:
        """The environment deployed before ``name`` (where a version must succeed first), None for the first."""
        names = [environment.name for environment in self.environments]
        index = names.index(name)
        return self.environments[index - 1] if index else None
