"""Bootstrap an account and region: artifact bucket, deploy and execution roles, in one stack."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

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
DEFAULT_TEMPLATE = Path(__file__).resolve().parents[3] / "include" / "bootstrap" / "bootstrap.yaml"


def bootstrap_account(
    session: AccountSession,
    *,
    orchestrator_principal_arn: str,
    external_id: str,
    create_roles: bool,
    application_stack_prefix: str = "*",
    template_path: Path | None = None,
) -> StackState:
    """Create or update the bootstrap stack through a change set; no change at all is success.

    Calls what :func:`create_change_set` and :func:`execute_change_set` call (CloudFormation only). IAM is
    global: ``create_roles`` must be true in exactly one region of the account (its first).

    :param session: a session with administrator rights in the account and region to bootstrap.
    :param orchestrator_principal_arn: the only principal the deploy role trusts.
    :param external_id: the ``sts:ExternalId`` the orchestrator must present.
    :param create_roles: create the deploy and execution roles in this region.
    :param application_stack_prefix: the deploy role may only touch stacks whose name starts with this.
    :param template_path: another bootstrap template (default ``include/bootstrap/bootstrap.yaml``).
    """
    body = canonical_json(load_template(template_path or DEFAULT_TEMPLATE))
    parameters = {
        "OrchestratorPrincipalArn": orchestrator_principal_arn,
        "ExternalId": external_id,
        "CreateRoles": "true" if create_roles else "false",
        "StackNamePrefix": application_stack_prefix,
    }
    # Named after its inputs: a retry of the same bootstrap finds and reuses its change set.
    inputs = hashlib.sha256(canonical_json({"template": body, "parameters": parameters}).encode()).hexdigest()
    change_set = create_change_set(
        session,
        stack_name=STACK_NAME,
        change_set_name=f"{STACK_NAME}-{inputs[:16]}",
        template_body=body,
        parameters=parameters,
        tags={"flightdeck:component": "bootstrap"},
        capabilities=["CAPABILITY_NAMED_IAM"],
        execution_role_arn=None,
        description="Flightdeck bootstrap: artifact bucket, deploy role, execution role",
    )
    if not change_set.is_empty:
        log.info(
            "Bootstrapping account %s in %s: %d change(s)",
            session.account_id,
            session.region,
            len(change_set.changes),
        )
        return execute_change_set(session, stack_name=STACK_NAME, change_set_id=change_set.id)
    log.info("Account %s in %s is bootstrapped already: no changes", session.account_id, session.region)
    delete_change_set(session, stack_name=STACK_NAME, change_set_id=change_set.id)
    stack = describe_stack(session, STACK_NAME)
    if stack is None:
        raise DeploymentError(
            "Bootstrap stack vanished", account=session.account_id, region=session.region, stack=STACK_NAME
        )
    return stack
