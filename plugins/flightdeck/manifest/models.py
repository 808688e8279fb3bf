"""The manifest v1 as strict, frozen pydantic models."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, model_validator

from flightdeck.manifest.fields import (
    AccountId,
    ApplicationName,
    Capability,
    ConnectionId,
    Duration,
    EnvironmentName,
    ExpectValue,
    ExternalId,
    JsonObject,
    LogicalName,
    ManifestVersion,
    Parameters,
    ParameterValue,
    Region,
    RoleRef,
    StackNameTemplate,
    StrictModel,
    TemplatePath,
    UserName,
    invalid,
    parse_duration,
    unique,
)

ParameterLayer = tuple[str, Mapping[str, ParameterValue]]


class DeployRole(StrictModel):
    """The roles Flightdeck uses in each target account.

    :param name: role assumed to deploy: a role name, or an ARN template with ``{account_id}``.
    :param execution_role: role CloudFormation acts as (same forms as ``name``).
    :param external_id: the ExternalId the deploy role's trust policy requires.
    """

    name: RoleRef
    execution_role: RoleRef
    external_id: ExternalId


class Approval(StrictModel):
    """Whether an environment waits for a person before its change sets are executed.

    :param required: wait for approval (default false).
    :param approvers: Airflow user names allowed to approve; required when ``required`` is true.
    :param timeout: how long to wait (``30m``, ``24h``, ``7d``); none waits forever.
    """

    required: bool = False
    approvers: Annotated[tuple[UserName, ...], unique("approver")] = ()
    timeout: Duration | None = None

    @model_validator(mode="after")
    def _approvers_when_required(self) -> Approval:
        if self.required and not self.approvers:
            at = "approvers" if "approvers" in self.model_fields_set else "required"
            raise invalid("approval is required but nobody may approve: list Airflow user names in approvers", at)
        return self

    @property
    def timeout_seconds(self) -> int | None:
        """The timeout in seconds, or None to wait forever."""
        return parse_duration(self.timeout) if self.timeout else None


class AccountTarget(StrictModel):
    """One AWS account of an environment and the regions deployed to in it.

    :param id: the 12-digit account id, as a quoted string.
    :param regions: region codes, deployed in this order.
    :param parameters: account layer of stack parameters, overriding the environment's.
    """

    id: AccountId
    regions: Annotated[tuple[Region, ...], Field(min_length=1), unique("region")]
    parameters: Parameters = {}


class Environment(StrictModel):
    """A deployment stage (dev, staging, prod): accounts and regions deployed together.

    :param name: lowercase name, unique in the manifest.
    :param deploy_role: replaces the manifest's ``deploy_role`` as a whole.
    :param approval: the approval gate before deploying.
    :param parameters: environment layer of stack parameters, overriding the defaults.
    :param accounts: target accounts, deployed in this order.
    """

    name: EnvironmentName
    deploy_role: DeployRole | None = None
    approval: Approval = Approval()
    parameters: Parameters = {}
    accounts: Annotated[tuple[AccountTarget, ...], Field(min_length=1)]


class LambdaSmokeTest(StrictModel):
    """Invoke a function of the deployed stack and compare its JSON answer.

    :param name: lowercase name, unique in the manifest.
    :param type: ``lambda``.
    :param function_output: stack output holding the function name or ARN.
    :param payload: JSON object sent to the function.
    :param expect: top-level answer field → expected value; text may use ``{environment}``, ``{account_id}``,
        ``{region}`` and ``{version}``.
    :param outputs: stack outputs that must exist.
    """

    name: ApplicationName
    type: Literal["lambda"]
    function_output: LogicalName
    payload: JsonObject = {}
    expect: dict[Annotated[str, Field(min_length=1)], ExpectValue] = {}
    outputs: Annotated[tuple[LogicalName, ...], unique("output")] = ()


# A discriminated union on ``type``; more kinds join LambdaSmokeTest here.
SmokeTest = Annotated[LambdaSmokeTest, Field(discriminator="type")]


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
    :param parameters: default layer of stack parameters.
    :param environments: deployment stages, in deploy order.
    :param smoke_tests: checks run against each deployed stack.
    """

    version: ManifestVersion
    application: ApplicationName
    description: str = ""
    template: TemplatePath
    aws_conn_id: ConnectionId = "aws_default"
    stack_name: StackNameTemplate = "{application}-{environment}"
    capabilities: Annotated[tuple[Capability, ...], unique("capability")] = ()
    deploy_role: DeployRole | None = None
    parameters: Parameters = {}
    environments: Annotated[
        tuple[Environment, ...], Field(min_length=1), unique("environment name", key=lambda env: env.name)
    ]
    smoke_tests: Annotated[tuple[SmokeTest, ...], unique("smoke test name", key=lambda test: test.name)] = ()

    _source: Path | None = PrivateAttr(default=None)

    @classmethod
    def from_data(cls, data: Any, *, source: Path | None = None) -> Manifest:
        """Validate parsed YAML data (lists or tuples); with ``source``, the template must exist beside it."""
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

    def deploy_role_for(self, environment: Environment) -> DeployRole | None:
        """The environment's own deploy role, else the manifest's default."""
        return environment.deploy_role or self.deploy_role

    def parameter_layers(
        self, environment: Environment, account: AccountTarget, region: str
    ) -> tuple[ParameterLayer, ...]:
        """Parameter layers of one target, lowest priority first (a later layer wins).

        ``region`` is unused in v1; it is here so that a region layer can be added without changing callers.
        """
        del region
        return (
            ("default", self.parameters),
            ("environment", environment.parameters),
            ("account", account.parameters),
        )


def _lists_to_tuples(data: Any) -> Any:
    """Strict validation wants tuples for sequences; accept ``yaml.safe_load`` output too."""
    if isinstance(data, list | tuple):
        return tuple(_lists_to_tuples(item) for item in data)
    if isinstance(data, dict):
        return {key: _lists_to_tuples(value) for key, value in data.items()}
    return data
