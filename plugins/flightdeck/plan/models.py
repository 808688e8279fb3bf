"""The release plan: frozen, deterministic dataclasses the DAG builder and operators read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from flightdeck import naming

ParameterKind = Literal["literal", "ssm", "release"]
ParameterLayerName = Literal["default", "environment", "account"]
ExpectValue = str | int | float | bool | None


@dataclass(frozen=True)
class ParameterSource:
    """Where one stack parameter's value comes from.

    :param name: the template parameter.
    :param kind: ``literal``, ``ssm`` (value is a Parameter Store path in the target account) or ``release``
        (value is ``version`` or ``run_id``).
    :param value: the literal, the SSM path or the release field.
    :param layer: the manifest layer that set it: ``default``, ``environment`` or ``account``.
    """

    name: str
    kind: ParameterKind
    value: str
    layer: ParameterLayerName = "default"

    def to_dict(self) -> dict[str, str]:
        """A JSON-safe dict."""
        return {"name": self.name, "kind": self.kind, "value": self.value, "layer": self.layer}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParameterSource:
        """The inverse of :meth:`to_dict`."""
        return cls(name=data["name"], kind=data["kind"], value=data["value"], layer=data.get("layer", "default"))


@dataclass(frozen=True)
class Target:
    """One stack in one account and region: everything a mapped task instance needs.

    :param environment: environment name.
    :param account_id: 12-digit account id.
    :param region: region code.
    :param stack_name: CloudFormation stack name.
    :param deploy_role_arn: role assumed in the target account.
    :param execution_role_arn: role CloudFormation acts as.
    :param external_id: ExternalId for assuming the deploy role.
    :param artifact_bucket: bucket for packaged templates in the target account and region.
    :param parameters: merged parameters, sorted by name.
    :param tags: stack tags, sorted by key (run-time tags are added by the operators).
    """

    environment: str
    account_id: str
    region: str
    stack_name: str
    deploy_role_arn: str
    execution_role_arn: str
    external_id: str
    artifact_bucket: str
    parameters: tuple[ParameterSource, ...]
    tags: tuple[tuple[str, str], ...]

    @property
    def label(self) -> str:
        """``environment/account_id/region``."""
        return naming.target_label(self.environment, self.account_id, self.region)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict: the argument of each mapped task instance."""
        return {
            "environment": self.environment,
            "account_id": self.account_id,
            "region": self.region,
            "stack_name": self.stack_name,
            "deploy_role_arn": self.deploy_role_arn,
            "execution_role_arn": self.execution_role_arn,
            "external_id": self.external_id,
            "artifact_bucket": self.artifact_bucket,
            "parameters": [parameter.to_dict() for parameter in self.parameters],
            "tags": dict(self.tags),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        """The inverse of :meth:`to_dict` (also after a JSON round trip)."""
        return cls(
            environment=data["environment"],
            account_id=data["account_id"],
            region=data["region"],
            stack_name=data["stack_name"],
            deploy_role_arn=data["deploy_role_arn"],
            execution_role_arn=data["execution_role_arn"],
            external_id=data["external_id"],
            artifact_bucket=data["artifact_bucket"],
            parameters=tuple(ParameterSource.from_dict(item) for item in data["parameters"]),
            tags=tuple(sorted(data["tags"].items())),
        )


@dataclass(frozen=True)
class Approval:
    """The gate before an environment's change sets are executed.

    :param required: whether to wait for a person.
    :param approvers: Airflow user names allowed to approve.
    :param timeout_seconds: how long to wait, None for ever.
    """

    required: bool
    approvers: tuple[str, ...]
    timeout_seconds: int | None


@dataclass(frozen=True)
class EnvironmentPlan:
    """One environment: its approval gate and its targets in manifest order (accounts, then regions).

    :param name: environment name.
    :param approval: the gate before executing.
    :param targets: the stacks to deploy.
    """

    name: str
    approval: Approval
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class SmokeCheck:
    """A check run against each deployed stack.

    :param name: check name.
    :param kind: ``lambda``.
    :param function_output: stack output holding the function name or ARN.
    :param payload_json: the request, compact JSON with sorted keys.
    :param expect: answer field → expected value, sorted by field; text may hold ``{environment}``,
        ``{account_id}``, ``{region}``, ``{version}``.
    :param outputs: stack outputs that must exist.
    """

    name: str
    kind: str
    function_output: str
    payload_json: str
    expect: tuple[tuple[str, ExpectValue], ...]
    outputs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {
            "name": self.name,
            "kind": self.kind,
            "function_output": self.function_output,
            "payload_json": self.payload_json,
            "expect": dict(self.expect),
            "outputs": list(self.outputs),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SmokeCheck:
        """The inverse of :meth:`to_dict`."""
        return cls(
            name=data["name"],
            kind=data["kind"],
            function_output=data["function_output"],
            payload_json=data["payload_json"],
            expect=tuple(sorted(data["expect"].items())),
            outputs=tuple(data["outputs"]),
        )


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
    :param smoke_checks: checks run after each target is deployed, in manifest order.
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

    @property
    def targets(self) -> tuple[Target, ...]:
        """Every target of every environment, in deploy order."""
        return tuple(target for environment in self.environments for target in environment.targets)
