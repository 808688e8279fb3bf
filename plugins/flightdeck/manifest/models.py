"""The manifest v1 as strict, frozen pydantic models."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr

from flightdeck.manifest.accounts import (
    Account,
    AccountEntry,
    AccountTarget,
    DeployRole,
    OrganizationsAccess,
    OrganizationsTarget,
)
from flightdeck.manifest.fields import (
    ApplicationName,
    Capability,
    ConnectionId,
    EnvironmentName,
    ManifestVersion,
    StackNameTemplate,
    StrictModel,
    TemplatePath,
    unique,
)
from flightdeck.manifest.options import Approval, Refresh, Rollback, StackOptions
from flightdeck.manifest.parameters import Parameters, ParameterValue
from flightdeck.manifest.smoke import ExpectationsSmokeTest, HttpSmokeTest, LambdaSmokeTest, SmokeTest
from flightdeck.manifest.waves import StaticTarget, Waves

__all__ = [
    "Environment",
    "ExpectationsSmokeTest",
    "HttpSmokeTest",
    "LambdaSmokeTest",
    "Manifest",
    "SmokeTest",
]

ParameterLayer = tuple[str, Mapping[str, ParameterValue]]


class Environment(StrictModel):
    """A deployment stage (dev, staging, prod): accounts and regions deployed together.

    :param name: lowercase name, unique in the manifest.
    :param deploy_role: replaces the manifest's ``deploy_role`` as a whole.
    :param approval: the approval gate before deploying.
    :param parameters: environment layer of stack parameters, overriding the defaults.
    :param accounts: target accounts, deployed in this order: each entry has an ``id``, or ``organizations``
        to select accounts when the release runs.
    :param waves: groups of targets deployed one after the other (default: one wave ``all`` of every target).
    :param stack_options: replace the manifest's ``stack_options`` key by key (tags are merged).
    :param execution: who executes approved change sets: ``orchestrator`` (default: the deploy role) or
        ``account-owner`` (the account's owner, by hand or with ``flightdeck execute``; the release waits).
    :param rollback: replace the manifest's ``rollback`` rules key by key for this environment.
    """

    name: EnvironmentName
    deploy_role: DeployRole | None = None
    approval: Approval = Approval()
    parameters: Parameters = {}
    accounts: Annotated[tuple[Account, ...], Field(min_length=1)]
    waves: Waves | None = None
    stack_options: StackOptions | None = None
    execution: Literal["orchestrator", "account-owner"] = "orchestrator"
    rollback: Rollback | None = None

    @property
    def listed_accounts(self) -> tuple[tuple[int, AccountTarget], ...]:
        """The accounts listed by id, with their index in ``accounts``."""
        return tuple((index, entry) for index, entry in enumerate(self.accounts) if isinstance(entry, AccountTarget))

    @property
    def selectors(self) -> tuple[tuple[int, OrganizationsTarget], ...]:
        """The entries selecting accounts at run time, with their index in ``accounts``."""
        return tuple(
            (index, entry) for index, entry in enumerate(self.accounts) if isinstance(entry, OrganizationsTarget)
        )

    @property
    def static_targets(self) -> tuple[StaticTarget, ...]:
        """``(account id, region)`` of every listed account and region, in manifest order."""
        return tuple((account.id, region) for _, account in self.listed_accounts for region in account.regions)


class Manifest(StrictModel):
    """A release manifest: one template, deployed environment by environment.

    :param version: format version, 1.
    :param application: lowercase name; the DAG is ``release__<application>``.
    :param description: free text shown in the plan and the DAG.
    :param template: CloudFormation template path, relative to the manifest file.
    :param aws_conn_id: Airflow connection of the orchestrator's AWS identity.
    :param stack_name: template of stack names with ``{application}``, ``{environment}``, ``{account_id}``,
        ``{region}``.
    :param capabilities: CloudFormation capabilities acknowledged for every stack.
    :param deploy_role: default roles of every environment.
    :param organizations: the management account and role that select accounts from AWS Organizations (needed
        when an environment has an ``organizations`` entry).
    :param parameters: default layer of stack parameters.
    :param environments: deployment stages, in deploy order.
    :param smoke_tests: checks run against each deployed stack.
    :param stack_options: CloudFormation settings of every stack (tags, termination protection, stack policy,
        notifications, rollback triggers); each environment may replace them key by key.
    :param refresh: a scheduled refresh of some environments' stacks.
    :param rollback: what happens to a target whose smoke tests fail (each environment may replace it key by key).
    """

    version: ManifestVersion
    application: ApplicationName
    description: str = ""
    template: TemplatePath
    aws_conn_id: ConnectionId = "aws_default"
    stack_name: StackNameTemplate = "{application}-{environment}"
    capabilities: Annotated[tuple[Capability, ...], unique("capability")] = ()
    deploy_role: DeployRole | None = None
    organizations: OrganizationsAccess | None = None
    parameters: Parameters = {}
    environments: Annotated[
        tuple[Environment, ...], Field(min_length=1), unique("environment name", key=lambda env: env.name)
    ]
    smoke_tests: Annotated[tuple[SmokeTest, ...], unique("smoke test name", key=lambda test: test.name)] = ()
    stack_options: StackOptions = StackOptions()
    refresh: Refresh | None = None
    rollback: Rollback = Rollback()

    _source: Path | None = PrivateAttr(default=None)

    @classmethod
    def from_data(cls, data: Any, *, source: Path | None = None) -> Manifest:
        """Validate parsed YAML data (lists or tuples).

        With ``source``, the template, stack policy and suite files are found relative to its folder (and the
        template must exist); without, stack policy and suite files are found relative to the working directory.
        """
        context = {"base_dir": source.parent} if source is not None else None
        manifest = cls.model_validate(_lists_to_tuples(data), context=context)
        manifest._source = source
        return manifest

    @property
    def source_path(self) -> Path | None:
        """The manifest file this was loaded from, if any."""
        return self._source

    @property
    def template_path(self) -> Path:
        """The template file: resolved against the manifest's folder when loaded from a file."""
        if self._source is None:
            return Path(self.template)
        return (self._source.parent / self.template).resolve()

    def deploy_role_for(self, environment: Environment, account: AccountEntry | None = None) -> DeployRole | None:
        """The account entry's own deploy role, else the environment's, else the manifest's default."""
        own = account.deploy_role if account is not None else None
        return own or environment.deploy_role or self.deploy_role

    def parameter_layers(
        self, environment: Environment, account: AccountEntry, region: str
    ) -> tuple[ParameterLayer, ...]:
        """Parameter layers of one target, lowest priority first (a later layer wins)."""
        return (
            ("default", self.parameters),
            ("environment", environment.parameters),
            ("account", account.parameters),
            ("region", account.region_layer(region)),
        )

    def stack_options_for(self, environment: Environment) -> StackOptions:
        """The manifest's stack options with the environment's replacing them key by key."""
        return self.stack_options.merged(environment.stack_options)

    def rollback_for(self, environment: Environment) -> Rollback:
        """The manifest's rollback rules with the environment's replacing them key by key."""
        return self.rollback.merged(environment.rollback)


def _lists_to_tuples(data: Any) -> Any:
    """Strict validation wants tuples for sequences; accept ``yaml.safe_load`` output too."""
    if isinstance(data, list | tuple):
        return tuple(_lists_to_tuples(item) for item in data)
    if isinstance(data, dict):
        return {key: _lists_to_tuples(value) for key, value in data.items()}
    return data
