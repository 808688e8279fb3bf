"""IAM enforced for roles that exist: a session of a role in IAM is authorized against that role's policies.

moto enforces IAM only when its global switch is on, and then for every caller (the tests' administrator roles
exist nowhere in IAM, so everything fails). Here moto's authorization hooks, which run for every request
before the operation, also authorize sessions of roles that exist in IAM, and only those: plain access keys and
sessions of roles that IAM does not know keep moto's default (allowed).

moto's statement evaluation (``moto.iam.access_control.IAMPolicy``) is not used: it knows only ``StringEquals``
and lets other operators and missing keys pass (so the bootstrap's "Deny unless the execution role" refuses the
execution role too), makes an Allow whose condition fails a Deny, permits whatever a statement with
``NotResource`` covers (even a Deny), matches wildcards as raw regular expressions, and cannot read the policies
of roles made by CloudFormation (moto stores them as dicts). Its hooks, its identity data (STS sessions, IAM
roles and access keys) and its protocol serializers are used.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from moto.core.exceptions import ServiceException
from werkzeug.exceptions import HTTPException

from flightdeck.localaws.iam_policies import Context, Decision, Statement, evaluate, parse_policy
from flightdeck.localaws.iam_requests import SERVICES, Check, s3_checks

log = logging.getLogger(__name__)

# Error code and HTTP status of a refusal, per protocol (S3's is AccessDenied, 403, from moto's S3 model).
_QUERY_REFUSAL = ("AccessDenied", 403)
_JSON_REFUSAL = ("AccessDeniedException", 400)
_REFUSALS = {"cloudformation": _QUERY_REFUSAL, "ssm": _JSON_REFUSAL}


class AccessDenied(HTTPException):
    """A refusal already serialized in the protocol of the refusing service (moto answers it as it is).

    :param body: the error document.
    :param status: its HTTP status.
    """

    def __init__(self, body: str, status: int) -> None:
        super().__init__(description=body)
        self.code = status


class AccessDeniedError(ServiceException):
    """The refusal moto serializes; defined here, not in moto, since moto looks error shapes up by module."""


def existing_role(response: Any) -> Any | None:
    """The IAM role (moto's ``Role``) whose session signed the request, when that role exists; else None."""
    if "X-Amz-Security-Token" not in response.headers:
        return None
    from moto.iam.models import iam_backends

    iam = iam_backends[response.current_account][response.partition]
    role_arn = getattr(iam.access_keys.get(response.access_key), "role_arn", None)
    if not role_arn:
        return None
    # list(): other request threads may create roles meanwhile (as moto itself guards such loops).
    return next((role for role in list(iam.roles.values()) if role.arn == role_arn), None)


def role_policies(role: Any) -> list[Sequence[Statement]]:
    """The role's identity policies as they are now: inline ones and the default version of attached ones."""
    documents: list[Any] = list(role.policies.values())
    for policy in list(role.managed_policies.values()):
        documents += [version.document for version in policy.versions if version.is_default]
    return [parse_policy(document) for document in documents]


def global_context(response: Any, role: Any) -> dict[str, tuple[str, ...]]:
    """The global condition keys IAM puts in every request of a role's session."""
    context = {
        "aws:principalarn": (role.arn,),
        "aws:principalaccount": (role.account_id,),
        "aws:principaltype": ("AssumedRole",),
        "aws:requestedregion": (response.region,),
        "aws:securetransport": ("true" if str(response.uri).startswith("https:") else "false",),
    }
    for tag in role.tags if isinstance(role.tags, list) else ():
        context[f"aws:principaltag/{tag['Key'].lower()}"] = (tag["Value"],)
    return context


def session_arn(response: Any, role: Any) -> str:
    """``arn:aws:sts::<account>:assumed-role/<role>/<session>`` of the request's credentials."""
    from moto.sts.models import sts_backends

    assumed = sts_backends[role.account_id][response.partition].get_assumed_role_from_access_key(response.access_key)
    session = assumed.session_name if assumed is not None else "unknown"
    return f"arn:{response.partition}:sts::{role.account_id}:assumed-role/{role.name}/{session}"


def denial_message(principal: str, check: Check, decision: Decision, quote_resource: bool = False) -> str:
    """AWS's wording of an access denied by identity-based policies (S3 quotes the resource)."""
    resource = f'"{check.resource}"' if quote_resource else check.resource
    target = f" on resource: {resource}" if check.resource != "*" else ""
    if decision is Decision.EXPLICIT_DENY:
        reason = "with an explicit deny in an identity-based policy"
    else:
        reason = f"because no identity-based policy allows the {check.action} action"
    return f"User: {principal} is not authorized to perform: {check.action}{target} {reason}"


def refusal(response: Any, checks: Callable[[], list[Check]], quote_resource: bool = False) -> str | None:
    """The denial message for this request, or None when it is allowed (or not ours to authorize)."""
    role = existing_role(response)
    if role is None:
        return None
    policies = role_policies(role)  # read per request: policies may change between requests
    base = global_context(response, role)
    for check in checks():
        context: Context = {**base, **check.context}
        decision = evaluate(policies, check.action, check.resource, context)
        if decision is not Decision.ALLOWED:
            message = denial_message(session_arn(response, role), check, decision, quote_resource)
            log.warning("AccessDenied: %s", message)  # in the server's log, to tell why a test was refused
            return message
    return None


def _authorize_normal(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def authorize(self: Any, resource: str = "*") -> None:
        original(self, resource)  # moto's own (global) IAM switch, unchanged
        requests = SERVICES.get(self.service_name)
        if requests is None:
            return
        message = refusal(self, lambda: requests(self))
        if message is not None:
            from moto.core.responses import ActionResult

            code, status = _REFUSALS[self.service_name]
            _, headers, body = self.serialized(ActionResult(AccessDeniedError(code, message)))
            self.response_headers.update(headers)
            raise AccessDenied(body, status)

    authorize._flightdeck = True  # type: ignore[attr-defined]
    return authorize


def _authorize_s3(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def authorize(self: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
        original(self, bucket_name, key_name)
        message = refusal(self, lambda: s3_checks(self, bucket_name, key_name), quote_resource=True)
        if message is not None:
            from moto.s3.exceptions import S3ClientError

            raise S3ClientError("AccessDenied", message)

    return authorize


def apply() -> None:
    """Authorize sessions of existing roles in moto's hooks (CloudFormation, SSM and S3 requests)."""
    from moto.core.authorization import ActionAuthenticatorMixin as mixin

    if getattr(mixin._authenticate_and_authorize_normal_action, "_flightdeck", False):
        return
    # moto warns that no service model defines the error: it is AWS's own, serialized like any other.
    warnings.filterwarnings("ignore", message=r"Exception\(AccessDeniedError\)", category=UserWarning)
    mixin._authenticate_and_authorize_normal_action = _authorize_normal(  # type: ignore[method-assign]
        mixin._authenticate_and_authorize_normal_action
    )
    mixin._authenticate_and_authorize_s3_action = _authorize_s3(  # type: ignore[method-assign]
        mixin._authenticate_and_authorize_s3_action
    )
