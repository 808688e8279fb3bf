"""Select accounts from AWS Organizations: by OU path, account tags and exclusions, from the management account."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from botocore.exceptions import BotoCoreError, ClientError

from flightdeck.aws.session import AccountSession
from flightdeck.errors import FlightdeckError

# Organizations is a global service whose endpoint lives in us-east-1.
ORGANIZATIONS_REGION = "us-east-1"


def select_accounts(
    session: AccountSession, *, ou_path: str, tags: Mapping[str, str], exclude: Sequence[str]
) -> list[str]:
    """Ids of the ACTIVE accounts under ``ou_path`` (its child OUs included) carrying every tag, sorted.

    :param session: a session in the management account allowed to list accounts, OUs and tags.
    :param ou_path: ``/Root/Workloads/Prod``; "" for any account of the organization.
    :param tags: account tags that must all be present with these values.
    :param exclude: account ids never selected.
    :raises FlightdeckError: when the OU path does not exist or Organizations cannot be read.
    """
    client = session.client("organizations")
    try:
        if ou_path:
            parents = list(_subtree(client, _find_ou(client, ou_path)))
            accounts = [account for parent in parents for account in _accounts_in(client, parent)]
        else:
            pages = client.get_paginator("list_accounts").paginate()
            accounts = [account for page in pages for account in page["Accounts"]]
        chosen = sorted(
            account["Id"] for account in accounts if account.get("Status") == "ACTIVE" and account["Id"] not in exclude
        )
        if tags:
            chosen = [account_id for account_id in chosen if _has_tags(client, account_id, tags)]
    except ClientError as err:
        raise _organizations_error(session, err) from err
    except BotoCoreError as err:
        raise FlightdeckError(f"Cannot reach AWS Organizations from account {session.account_id}: {err}") from err
    return chosen


def _find_ou(client, ou_path: str) -> str:
    """The id of the OU at ``ou_path`` (``/Root`` is the organization's root)."""
    names = [name for name in ou_path.split("/") if name][1:]
    parent = client.list_roots()["Roots"][0]["Id"]
    walked = "/Root"
    for name in names:
        children = {ou["Name"]: ou["Id"] for ou in _child_ous(client, parent)}
        if name not in children:
            known = ", ".join(sorted(children)) or "none"
            raise FlightdeckError(
                f"AWS Organizations has no OU {name!r} under {walked} (its OUs: {known}): fix ou_path {ou_path}"
            )
        parent, walked = children[name], f"{walked}/{name}"
    return parent


def _subtree(client, parent_id: str) -> Iterator[str]:
    """``parent_id`` and every OU below it, depth first."""
    yield parent_id
    for ou in _child_ous(client, parent_id):
        yield from _subtree(client, ou["Id"])


def _child_ous(client, parent_id: str) -> list[dict]:
    paginator = client.get_paginator("list_organizational_units_for_parent")
    return [ou for page in paginator.paginate(ParentId=parent_id) for ou in page["OrganizationalUnits"]]


def _accounts_in(client, parent_id: str) -> list[dict]:
    paginator = client.get_paginator("list_accounts_for_parent")
    return [account for page in paginator.paginate(ParentId=parent_id) for account in page["Accounts"]]


def _has_tags(client, account_id: str, wanted: Mapping[str, str]) -> bool:
    paginator = client.get_paginator("list_tags_for_resource")
    tags = {tag["Key"]: tag["Value"] for page in paginator.paginate(ResourceId=account_id) for tag in page["Tags"]}
    return all(tags.get(key) == value for key, value in wanted.items())


def _organizations_error(session: AccountSession, err: ClientError) -> FlightdeckError:
    code = err.response.get("Error", {}).get("Code", "")
    where = f"account {session.account_id}"
    if code == "AWSOrganizationsNotInUseException":
        return FlightdeckError(
            f"{where} is not in an AWS Organization: organizations.management_account must be the management "
            "account of the organization whose accounts you select"
        )
    if code in ("AccessDeniedException", "AccessDenied"):
        return FlightdeckError(
            f"the Organizations role in {where} may not list accounts ({err}): it needs organizations:ListRoots, "
            "ListOrganizationalUnitsForParent, ListAccountsForParent, ListAccounts and ListTagsForResource "
            "(`flightdeck bootstrap` creates such a role)"
        )
    return FlightdeckError(f"AWS Organizations refused a request from {where}: {err}")
