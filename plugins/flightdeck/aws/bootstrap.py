"""Bootstrap an account and region: artifact bucket, deploy and execution roles, in one stack."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

from botocore.exceptions import ClientError

from flightdeck.aws.cloudformation import (
    StackState,
    create_change_set,
    delete_change_set,
    describe_stack,
    execute_change_set,
)
from flightdeck.aws.packaging import canonical_json, load_template
from flightdeck.aws.session import AccountSession
from flightdeck.errors import DeploymentError

log = logging.getLogger(__name__)

STACK_NAME = "flightdeck-bootstrap"
DEPLOY_ROLE_NAME = "flightdeck-deploy"
ROLES_REGION_TAG = "flightdeck:roles-region"
BOOTSTRAP_DIR = Path(__file__).resolve().parents[3] / "include" / "bootstrap"
DEFAULT_TEMPLATE = BOOTSTRAP_DIR / "bootstrap.yaml"
ORGANIZATIONS_STACK_NAME = "flightdeck-organizations-reader"
ORGANIZATIONS_TEMPLATE = BOOTSTRAP_DIR / "organizations-reader.yaml"


def bootstrap_account(
    session: AccountSession,
    *,
    orchestrator_principal_arn: str,
    external_id: str,
    create_roles: bool,
    application_stack_prefixes: Sequence[str] = ("*",),
    allow_execute: bool = True,
    template_path: Path | None = None,
) -> StackState:
    """Create or update the bootstrap stack through a change set; no change at all is success.

    Calls what :func:`create_change_set` and :func:`execute_change_set` call (CloudFormation only). IAM is
    global: ``create_roles`` must be true in exactly one region of the account (its first).

    :param session: a session with administrator rights in the account and region to bootstrap.
    :param orchestrator_principal_arn: the only principal the deploy role trusts.
    :param external_id: the ``sts:ExternalId`` the orchestrator must present.
    :param create_roles: create the deploy and execution roles in this region.
    :param application_stack_prefixes: the deploy role may only touch stacks whose name starts with one of these
        (one per application deployed to the account; see :func:`merge_prefixes`).
    :param allow_execute: the deploy role may execute change sets; false where only account owners execute.
    :param template_path: another bootstrap template (default ``include/bootstrap/bootstrap.yaml``).
    """
    parameters = {
        "OrchestratorPrincipalArn": orchestrator_principal_arn,
        "ExternalId": external_id,
        "CreateRoles": "true" if create_roles else "false",
        "StackNamePrefixes": ",".join(application_stack_prefixes),
        "AllowExecute": "true" if allow_execute else "false",
    }
    description = "Flightdeck bootstrap: artifact bucket, deploy role, execution role"
    return _deploy(session, STACK_NAME, template_path or DEFAULT_TEMPLATE, parameters, description)


def roles_region(session: AccountSession) -> str | None:
    """The region whose bootstrap stack owns the account's roles; None before the account's first bootstrap.

    The deploy role carries it as a tag (IAM is global, but the stack creating the roles lives in one region).
    A role bootstrapped before the tag existed gives "".
    """
    iam = session.client("iam")
    try:
        role = iam.get_role(RoleName=DEPLOY_ROLE_NAME)["Role"]
    except iam.exceptions.NoSuchEntityException:
        return None
    except ClientError as err:
        raise DeploymentError(
            "Cannot read the deploy role", account=session.account_id, region=session.region, reason=str(err)
        ) from err
    tags = {tag["Key"]: tag["Value"] for tag in role.get("Tags", [])}
    if ROLES_REGION_TAG not in tags:  # get_role may leave tags out
        listed = iam.list_role_tags(RoleName=DEPLOY_ROLE_NAME).get("Tags", [])
        tags = {tag["Key"]: tag["Value"] for tag in listed}
    return tags.get(ROLES_REGION_TAG, "")


def allows_execute(session: AccountSession) -> bool | None:
    """Whether the bootstrap stack in ``session``'s region lets the deploy role execute change sets (None: none)."""
    stack = describe_stack(session, STACK_NAME)
    if stack is None:
        return None
    return stack.parameters.get("AllowExecute", "true") == "true"


def trusted_prefixes(session: AccountSession) -> tuple[str, ...]:
    """The stack name prefixes the bootstrap stack in ``session``'s region grants today (none if not bootstrapped)."""
    stack = describe_stack(session, STACK_NAME)
    if stack is None:
        return ()
    value = stack.parameters.get("StackNamePrefixes") or stack.parameters.get("StackNamePrefix", "")
    return tuple(prefix for prefix in value.split(",") if prefix)


def merge_prefixes(*groups: Sequence[str]) -> tuple[str, ...]:
    """Every prefix of ``groups``, sorted, leaving out those another one covers (``*`` covers all)."""
    prefixes = {prefix for group in groups for prefix in group}
    if "*" in prefixes:
        return ("*",)
    return tuple(sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)))


def bootstrap_organizations_reader(
    session: AccountSession,
    *,
    orchestrator_principal_arn: str,
    external_id: str | None,
    role_name: str = "FlightdeckOrganizationsReader",
) -> StackState:
    """Create or update the role releases assume in the management account to select accounts.

    :param session: a session with administrator rights in the organization's management account.
    :param orchestrator_principal_arn: the only principal the role trusts.
    :param external_id: the ``sts:ExternalId`` the orchestrator must present, if any.
    :param role_name: the role's name (the manifest's ``organizations.role``).
    """
    parameters = {
        "OrchestratorPrincipalArn": orchestrator_principal_arn,
        "ExternalId": external_id or "",
        "RoleName": role_name,
    }
    description = "Flightdeck: role that lists the organization's accounts"
    return _deploy(session, ORGANIZATIONS_STACK_NAME, ORGANIZATIONS_TEMPLATE, parameters, description)


def _deploy(
    session: AccountSession, stack_name: str, template_path: Path, parameters: dict[str, str], description: str
) -> StackState:
    """Create or update ``stack_name`` through a change set; no change at all is success."""
    body = canonical_json(load_template(template_path))
    # Named after its inputs: a retry of the same bootstrap finds and reuses its change set.
    inputs = hashlib.sha256(canonical_json({"template": body, "parameters": parameters}).encode()).hexdigest()
    change_set = create_change_set(
        session,
        stack_name=stack_name,
        change_set_name=f"{stack_name}-{inputs[:16]}",
        template_body=body,
        parameters=parameters,
        tags={"flightdeck:component": "bootstrap"},
        capabilities=["CAPABILITY_NAMED_IAM"],
        execution_role_arn=None,
        description=description,
    )
    if not change_set.is_empty:
        log.info(
            "Bootstrapping %s in account %s, %s: %d change(s)",
            stack_name,
            session.account_id,
            session.region,
            len(change_set.changes),
        )
        return execute_change_set(session, stack_name=stack_name, change_set_id=change_set.id)
    log.info("%s in account %s, %s is up to date: no changes", stack_name, session.account_id, session.region)
    delete_change_set(session, stack_name=stack_name, change_set_id=change_set.id)
    stack = describe_stack(session, stack_name)
    if stack is None:
        raise DeploymentError(
            "Bootstrap stack vanished", account=session.account_id, region=session.region, stack=stack_name
        )
    return stack
