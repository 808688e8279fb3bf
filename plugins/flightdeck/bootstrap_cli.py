"""``flightdeck bootstrap``: prepare every account a manifest deploys to, and its Organizations reader role."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from flightdeck import naming
from flightdeck.commands import Command
from flightdeck.errors import FlightdeckError
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, Target, build_plan

if TYPE_CHECKING:
    from flightdeck.aws.session import AccountSession


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help="the manifest whose accounts to bootstrap")
    parser.add_argument(
        "--orchestrator-arn",
        required=True,
        help="the principal that runs Flightdeck (the only one each deploy role trusts)",
    )
    parser.add_argument(
        "--admin-role",
        default="OrganizationAccountAccessRole",
        help="role with administrator rights assumed in each account (default: %(default)s)",
    )


def _run(args: argparse.Namespace) -> int:
    from flightdeck.aws.bootstrap import bootstrap_organizations_reader
    from flightdeck.aws.organizations import ORGANIZATIONS_REGION
    from flightdeck.aws.session import assume_role

    plan = build_plan(load_manifest(args.manifest))
    targets = list(plan.targets)
    if plan.organizations is not None:
        reader = plan.organizations
        admin = assume_role(
            aws_conn_id=None,
            role_arn=naming.role_arn(args.admin_role, reader.management_account),
            region=ORGANIZATIONS_REGION,
            session_name="flightdeck-bootstrap",
        )
        stack = bootstrap_organizations_reader(
            admin,
            orchestrator_principal_arn=args.orchestrator_arn,
            external_id=reader.external_id,
            role_name=reader.role_arn.rsplit("/", 1)[-1],
        )
        print(f"{reader.management_account} {ORGANIZATIONS_REGION}: {stack.name} {stack.status}")
        targets += selected_targets(plan, admin)
    owners_execute = {env.name for env in plan.environments if env.execution == "account-owner"}
    for account_id, regions, external_id, prefix in bootstrap_targets(targets):
        executes = any(t.account_id == account_id and t.environment not in owners_execute for t in targets)
        _bootstrap_account(args, account_id, regions, external_id, prefix, executes=executes)
    return 0


def _bootstrap_account(
    args: argparse.Namespace,
    account_id: str,
    regions: tuple[str, ...],
    external_id: str,
    prefix: str,
    *,
    executes: bool,
) -> None:
    """Bootstrap ``regions`` of one account; the region owning its roles adds ``prefix`` to those it trusts.

    The deploy role may execute change sets if this manifest needs it (an environment with ``execution:
    orchestrator`` deploys there) or another application bootstrapped into the account does.
    """
    from flightdeck.aws.bootstrap import (
        allows_execute,
        bootstrap_account,
        merge_prefixes,
        roles_region,
        trusted_prefixes,
    )
    from flightdeck.aws.session import assume_role

    def admin(region: str) -> AccountSession:
        role_arn = naming.role_arn(args.admin_role, account_id)
        return assume_role(aws_conn_id=None, role_arn=role_arn, region=region, session_name="flightdeck-bootstrap")

    # IAM is global: the roles live in one region's bootstrap stack, the account's first one unless an earlier
    # bootstrap (of this or another application) put them elsewhere; that stack is updated too.
    home = roles_region(admin(regions[0])) or regions[0]
    trusted = trusted_prefixes(admin(home))
    prefixes = merge_prefixes(trusted, [prefix])
    others = [other for other in trusted if other != prefix]
    allow_execute = executes or bool(others and allows_execute(admin(home)))
    for region in (home, *(r for r in regions if r != home)):
        stack = bootstrap_account(
            admin(region),
            orchestrator_principal_arn=args.orchestrator_arn,
            external_id=external_id,
            create_roles=region == home,
            application_stack_prefixes=prefixes,
            allow_execute=allow_execute,
        )
        who = "the deploy role" if allow_execute else "the account owner only"
        print(f"{account_id} {region}: {stack.name} {stack.status} (stacks {', '.join(prefixes)}; {who} executes)")


def selected_targets(plan: ReleasePlan, session: AccountSession) -> list[Target]:
    """The targets of the accounts ``plan``'s environments select from AWS Organizations today."""
    from flightdeck.aws.organizations import select_accounts

    found = []
    for environment in plan.environments:
        catalog = environment.catalog
        for selector in environment.selectors:
            accounts = select_accounts(
                session, ou_path=selector.ou_path, tags=dict(selector.tags), exclude=selector.exclude
            )
            labels = [naming.target_label(environment.name, a, r) for a in accounts for r in selector.regions]
            found += [catalog[label] for label in labels if label not in catalog.listed]
    return found


def bootstrap_targets(targets: Sequence[Target]) -> list[tuple[str, tuple[str, ...], str, str]]:
    """Per account of ``targets``: its regions (first seen first), ExternalId, and the prefix its stacks share."""
    accounts: dict[str, list[Target]] = {}
    for target in targets:
        accounts.setdefault(target.account_id, []).append(target)
    result = []
    for account_id, own in accounts.items():
        regions = tuple(dict.fromkeys(target.region for target in own))
        external_ids = {target.external_id for target in own}
        if len(external_ids) > 1:
            raise FlightdeckError(
                f"account {account_id} has different external_id values in different environments; "
                "one bootstrap stack per account can trust only one"
            )
        # Character-wise on purpose: stack names, not paths.
        prefix = os.path.commonprefix([target.stack_name for target in own]) or "*"  # noqa: RUF071
        result.append((account_id, regions, external_ids.pop(), prefix))
    return result


COMMAND = Command(
    "bootstrap",
    "create the deploy role, execution role and artifact bucket in every account of a manifest",
    _configure,
    _run,
)
