"""Where an environment deploys: accounts listed by id, or selected from AWS Organizations at run time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag, model_validator

from flightdeck.manifest.fields import (
    DURATION_PATTERN,
    ISSUE,
    AccountId,
    Checked,
    ExternalId,
    Region,
    RoleRef,
    StrictModel,
    TagKey,
    TagValue,
    invalid,
    matching,
    parse_duration,
    unique,
)
from flightdeck.manifest.parameters import Parameters, ParameterValue, RegionParameters

SESSION_MIN, SESSION_MAX = 900, 43200  # what STS allows for an assumed role's session


def _session_duration(value: str) -> str:
    try:
        seconds = parse_duration(value)
    except ValueError as err:
        raise invalid(str(err)) from err
    if not SESSION_MIN <= seconds <= SESSION_MAX:
        raise invalid(
            f"session_duration {value} is outside 15m to 12h, what STS allows for an assumed role (the role's "
            "MaxSessionDuration must allow it too)"
        )
    return value


class DeployRole(StrictModel):
    """The roles Flightdeck uses in each target account.

    :param name: role assumed to deploy: a role name, or an ARN template with ``{account_id}``.
    :param execution_role: role CloudFormation acts as (same forms as ``name``).
    :param external_id: the ExternalId the deploy role's trust policy requires.
    :param session_duration: how long each assumed-role session lasts, 15m to 12h (default 1h).
    """

    name: RoleRef
    execution_role: RoleRef
    external_id: ExternalId
    session_duration: Annotated[str, Checked(_session_duration, schema=(("pattern", DURATION_PATTERN),))] = "1h"

    @property
    def session_duration_seconds(self) -> int:
        """The session duration in seconds."""
        return parse_duration(self.session_duration)


class OrganizationsAccess(StrictModel):
    """How releases read AWS Organizations: a role in the organization's management account.

    :param management_account: the management account's 12-digit id, in quotes.
    :param role: the role assumed there: a name, or an ARN template with ``{account_id}``; ``flightdeck
        bootstrap`` creates ``FlightdeckOrganizationsReader``, which can only list accounts, OUs and tags.
    :param external_id: the ExternalId the role's trust policy requires.
    :param session_duration: how long each session lasts, 15m to 12h (default 1h).
    """

    management_account: AccountId
    role: RoleRef = "FlightdeckOrganizationsReader"
    external_id: ExternalId | None = None
    session_duration: Annotated[str, Checked(_session_duration, schema=(("pattern", DURATION_PATTERN),))] = "1h"

    @property
    def session_duration_seconds(self) -> int:
        """The session duration in seconds."""
        return parse_duration(self.session_duration)


class AccountEntry(StrictModel):
    """What every entry of an environment's ``accounts`` has.

    :param regions: region codes, deployed in this order.
    :param deploy_role: replaces the environment's deploy role as a whole for this entry.
    :param parameters: account layer of stack parameters, overriding the environment's.
    """

    regions: Annotated[tuple[Region, ...], Field(min_length=1), unique("region")]
    deploy_role: DeployRole | None = None
    parameters: Parameters = {}

    def region_layer(self, region: str) -> Mapping[str, ParameterValue]:
        """Parameters of this entry in one region only (none unless the entry sets ``region_parameters``)."""
        del region
        return {}


class AccountTarget(AccountEntry):
    """One AWS account of an environment and the regions deployed to in it.

    :param id: the 12-digit account id, as a quoted string.
    :param region_parameters: region → parameters of this account in that region only, overriding its own.
    """

    id: AccountId
    region_parameters: RegionParameters = {}

    @model_validator(mode="after")
    def _region_parameters_in_regions(self) -> AccountTarget:
        for region in self.region_parameters:
            if region not in self.regions:
                raise invalid(
                    f"region_parameters names {region}, which is not one of this account's regions "
                    f"({', '.join(self.regions)}): add it to regions or remove its parameters",
                    "region_parameters",
                    region,
                    at_key=True,
                )
        return self

    def region_layer(self, region: str) -> Mapping[str, ParameterValue]:
        """Parameters of this account in ``region`` only."""
        return self.region_parameters.get(region, {})


class OrganizationsSelector(StrictModel):
    """Accounts of the AWS Organization chosen at run time; all the given conditions must hold.

    :param ou_path: accounts under this organizational unit (and its children), like ``/Root/Workloads/Prod``.
    :param tags: account tags that must all be present with these values.
    :param exclude: account ids never selected.
    """

    ou_path: Annotated[
        str, matching(r"/Root(/[^/]{1,128})*", "ou_path", "a path of OU names from /Root, like /Root/Workloads/Prod")
    ] = ""
    tags: dict[TagKey, TagValue] = {}
    exclude: Annotated[tuple[AccountId, ...], unique("account id")] = ()

    @model_validator(mode="after")
    def _narrowed(self) -> OrganizationsSelector:
        if not self.ou_path and not self.tags:
            raise invalid(
                "give ou_path or tags (or both): selecting every account of the organization is not allowed; "
                "list the accounts by id instead"
            )
        return self


class OrganizationsTarget(AccountEntry):
    """Accounts selected from AWS Organizations when the release runs, deployed to the same regions.

    :param organizations: which accounts to select.
    """

    organizations: OrganizationsSelector

    @model_validator(mode="before")
    @classmethod
    def _no_listed_account_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and "id" in data:
            raise invalid(
                "an accounts entry has either id (one account) or organizations (accounts selected at run time), "
                "not both: make them two entries",
                "id",
                at_key=True,
            )
        if isinstance(data, dict) and "region_parameters" in data:
            raise invalid(
                "region_parameters is for accounts listed by id; for accounts selected at run time, put {region} "
                "in an ssm: or secretsmanager: reference of parameters instead",
                "region_parameters",
                at_key=True,
            )
        return data


def _entry_kind(value: Any) -> str | None:
    if isinstance(value, dict) and "organizations" in value:
        return "organizations"
    if isinstance(value, dict) and "id" not in value:
        return None
    return "id"


_NEITHER = (
    "an accounts entry needs id (a 12-digit account id, in quotes) or organizations (ou_path and/or tags of "
    "accounts selected at run time)"
)
Account = Annotated[
    Annotated[AccountTarget, Tag("id")] | Annotated[OrganizationsTarget, Tag("organizations")],
    Discriminator(
        _entry_kind,
        custom_error_type=ISSUE,
        custom_error_message="{message}",
        custom_error_context={"message": _NEITHER, "at": (), "at_key": False},
    ),
]
