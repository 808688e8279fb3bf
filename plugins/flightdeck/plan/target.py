"""Deployment targets of a plan: one stack in one account and region, and accounts selected at run time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from flightdeck import naming
from flightdeck.errors import PlanError

ParameterKind = Literal["literal", "ssm", "secretsmanager", "release"]
ParameterLayerName = Literal["default", "environment", "account", "region"]
REFERENCE_KINDS = ("ssm", "secretsmanager")  # values holding placeholders that are filled per target
ACCOUNT_PLACEHOLDER = "{account_id}"
REGION_PLACEHOLDER = "{region}"


@dataclass(frozen=True)
class ParameterSource:
    """Where one stack parameter's value comes from; secrets are references, never values.

    :param name: the template parameter.
    :param kind: ``literal``, ``ssm`` (value is a Parameter Store path in the target account),
        ``secretsmanager`` (value is ``name`` or ``name:json-key`` of a secret in the target account) or
        ``release`` (value is ``version`` or ``run_id``).
    :param value: the literal, the SSM path, the secret reference or the release field.
    :param layer: the manifest layer that set it: ``default``, ``environment``, ``account`` or ``region``.
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
    :param tags: stack tags, sorted by key: Flightdeck's own and ``stack_tags`` (run-time tags are added by the
        operators).
    :param session_duration_seconds: lifetime of each assumed-role session.
    :param stack_tags: the manifest's stack tags alone, sorted by key.
    :param termination_protection: whether the stack refuses deletion.
    :param stack_policy_json: the stack policy as compact JSON with sorted keys, "" for none.
    :param notification_arns: SNS topics told about stack events.
    :param rollback_alarms: CloudWatch alarms that roll an update back.
    :param rollback_monitoring_minutes: how long CloudFormation watches those alarms after an update.
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
    session_duration_seconds: int = 3600
    stack_tags: tuple[tuple[str, str], ...] = ()
    termination_protection: bool = False
    stack_policy_json: str = ""
    notification_arns: tuple[str, ...] = ()
    rollback_alarms: tuple[str, ...] = ()
    rollback_monitoring_minutes: int = 0

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
            "session_duration_seconds": self.session_duration_seconds,
            "stack_tags": dict(self.stack_tags),
            "termination_protection": self.termination_protection,
            "stack_policy_json": self.stack_policy_json,
            "notification_arns": list(self.notification_arns),
            "rollback_alarms": list(self.rollback_alarms),
            "rollback_monitoring_minutes": self.rollback_monitoring_minutes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        """The inverse of :meth:`to_dict` (also after a JSON round trip, and of dicts written before stack options)."""
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
            session_duration_seconds=data.get("session_duration_seconds", 3600),
            stack_tags=tuple(sorted(data.get("stack_tags", {}).items())),
            termination_protection=data.get("termination_protection", False),
            stack_policy_json=data.get("stack_policy_json", ""),
            notification_arns=tuple(data.get("notification_arns", ())),
            rollback_alarms=tuple(data.get("rollback_alarms", ())),
            rollback_monitoring_minutes=data.get("rollback_monitoring_minutes", 0),
        )


@dataclass(frozen=True)
class AccountSelector:
    """Accounts of an environment selected from AWS Organizations when the release runs, not now.

    :param ou_path: accounts under this organizational unit, like ``/Root/Workloads/Prod`` ("" for any).
    :param tags: account tags that must all match, sorted by key.
    :param exclude: account ids never selected.
    :param regions: regions deployed to in every selected account.
    :param template: the target of each selected account and region, with ``{account_id}`` and ``{region}``
        where they go (stack name, roles, bucket, parameter references, ARNs): see :meth:`target`.
    """

    ou_path: str
    tags: tuple[tuple[str, str], ...]
    exclude: tuple[str, ...]
    regions: tuple[str, ...]
    template: Target

    @property
    def deploy_role_arn(self) -> str:
        """The deploy role, with ``{account_id}`` for the selected account."""
        return self.template.deploy_role_arn

    @property
    def parameters(self) -> tuple[ParameterSource, ...]:
        """Merged parameters; references may hold ``{account_id}`` and ``{region}``."""
        return self.template.parameters

    @property
    def conditions(self) -> str:
        """What the selected accounts have in common: ``under /Root/Prod, tagged tier=web, except 1234…``."""
        parts = [f"under {self.ou_path}"] if self.ou_path else []
        if self.tags:
            parts.append("tagged " + ", ".join(f"{key}={value}" for key, value in self.tags))
        if self.exclude:
            parts.append(f"except {', '.join(self.exclude)}")
        return ", ".join(parts)

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels of the targets per region, with ``{account_id}`` for the selected accounts."""
        return tuple(naming.target_label(self.template.environment, ACCOUNT_PLACEHOLDER, r) for r in self.regions)

    def target(self, account_id: str, region: str) -> Target:
        """The target of one selected account in one of the regions.

        :raises PlanError: when the account is excluded or the region is not one of ``regions``.
        """
        if account_id in self.exclude or region not in self.regions:
            raise PlanError(f"{account_id}/{region} is not a target of this selector (regions {self.regions})")
        values = {"account_id": account_id, "region": region}
        template = self.template

        def fill(text: str) -> str:
            return naming.fill_placeholders(text, values)

        return replace(
            template,
            account_id=account_id,
            region=region,
            stack_name=fill(template.stack_name),
            deploy_role_arn=fill(template.deploy_role_arn),
            execution_role_arn=fill(template.execution_role_arn),
            artifact_bucket=fill(template.artifact_bucket),
            parameters=tuple(
                replace(p, value=fill(p.value)) if p.kind in REFERENCE_KINDS else p for p in template.parameters
            ),
            notification_arns=tuple(fill(arn) for arn in template.notification_arns),
            rollback_alarms=tuple(fill(arn) for arn in template.rollback_alarms),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {
            "ou_path": self.ou_path,
            "tags": dict(self.tags),
            "exclude": list(self.exclude),
            "regions": list(self.regions),
            "template": self.template.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountSelector:
        """The inverse of :meth:`to_dict`."""
        return cls(
            ou_path=data["ou_path"],
            tags=tuple(sorted(data["tags"].items())),
            exclude=tuple(data["exclude"]),
            regions=tuple(data["regions"]),
            template=Target.from_dict(data["template"]),
        )


@dataclass(frozen=True)
class OrganizationsReader:
    """The role in the organization's management account that selects accounts when a release runs.

    :param management_account: the management account's id.
    :param role_arn: the role assumed there.
    :param external_id: the ExternalId its trust policy requires, if any.
    :param session_duration_seconds: lifetime of each assumed-role session.
    """

    management_account: str
    role_arn: str
    external_id: str | None
    session_duration_seconds: int = 3600

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return {
            "management_account": self.management_account,
            "role_arn": self.role_arn,
            "external_id": self.external_id,
            "session_duration_seconds": self.session_duration_seconds,
        }


class TargetCatalog:
    """An environment's targets by label: the accounts listed by id, and those its selectors chose at run time.

    A label of an account that no listed entry names belongs to the selector deploying to its region (the
    manifest allows one selector per region), so operators find every target from its label alone.

    :param environment: the environment's name.
    :param listed: the targets of the accounts listed by id.
    :param selectors: the environment's selectors.
    """

    def __init__(self, environment: str, listed: Iterable[Target], selectors: Sequence[AccountSelector] = ()) -> None:
        self.environment = environment
        self.listed = {target.label: target for target in listed}
        self.selectors = tuple(selectors)

    def __getitem__(self, label: str) -> Target:
        found = self.listed.get(label)
        if found is not None:
            return found
        environment, _, rest = label.partition("/")
        account_id, _, region = rest.partition("/")
        if environment == self.environment:
            for selector in self.selectors:
                if region in selector.regions and account_id not in selector.exclude:
                    return selector.target(account_id, region)
        raise KeyError(label)

    def __contains__(self, label: object) -> bool:
        try:
            self[str(label)]
        except (KeyError, PlanError):
            return False
        return True

    def __repr__(self) -> str:
        return f"TargetCatalog({self.environment!r}, {len(self.listed)} listed, {len(self.selectors)} selector(s))"


def stack_collisions(targets: Iterable[Target]) -> list[str]:
    """Each target that would deploy the same stack (account, region, name) as an earlier one, as a sentence."""
    seen: dict[tuple[str, str, str], str] = {}
    found = []
    for target in targets:
        key = (target.account_id, target.region, target.stack_name)
        if key in seen:
            found.append(f"{target.label} and {seen[key]} would deploy the same stack {target.stack_name}")
        else:
            seen[key] = target.label
    return found
