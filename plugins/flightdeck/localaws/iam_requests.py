"""What a request asks IAM for: action, resource ARN and condition keys, per service (CloudFormation, S3, SSM)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flightdeck.localaws.iam_policies import Context

CLOUDFORMATION_SERVICE = "cloudformation.amazonaws.com"

# moto's names of S3 operations (``S3Response.data["Action"]``) that are not IAM actions -> the IAM action.
S3_ACTIONS = {
    "HeadBucket": "ListBucket",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "SelectObject": "GetObject",
}

_S3_OBJECT_ACTIONS = {"DeleteObject", "PutObject"}

# SSM operations naming one parameter (``Name``) or several (``Names``); tagging ones name it by ``ResourceId``.
_SSM_BY_NAME = {
    "GetParameter",
    "PutParameter",
    "DeleteParameter",
    "GetParameterHistory",
    "LabelParameterVersion",
    "UnlabelParameterVersion",
}
_SSM_BY_NAMES = {"GetParameters", "DeleteParameters"}
_SSM_TAGGING = {"AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource"}


@dataclass(frozen=True)
class Check:
    """One authorization IAM makes for a request (a request may need several).

    :param action: ``service:Operation``.
    :param resource: the resource's ARN, or ``*`` for an operation on no particular resource.
    :param context: the request's condition keys (lower case) and values, besides the global ones.
    """

    action: str
    resource: str
    context: Context = field(default_factory=dict)


def _tag_context(tags: Sequence[Mapping[str, str]] | None) -> dict[str, tuple[str, ...]]:
    if not isinstance(tags, list) or not tags:
        return {}
    context: dict[str, tuple[str, ...]] = {f"aws:requesttag/{t['Key'].lower()}": (t["Value"],) for t in tags}
    context["aws:tagkeys"] = tuple(t["Key"] for t in tags)
    return context


def stack_arn(backend: Any, stack_name: str | None, change_set_name: str | None, partition: str) -> str:
    """The stack a CloudFormation request acts on, as IAM names it.

    A change set given by ARN acts on its own stack; a stack given by ARN is that ARN; a stack given by name
    is the live stack's ARN, or ``stack/<name>/*`` when no such stack exists yet (as AWS reports it).
    """
    if change_set_name and change_set_name.startswith("arn:"):
        change_set = backend.change_sets.get(change_set_name)
        if change_set is not None:
            return str(change_set.stack_id)
    if not stack_name:
        return "*"
    if stack_name.startswith("arn:"):
        return stack_name
    stack = next((s for s in list(backend.stacks.values()) if s.name == stack_name), None)
    if stack is not None:
        return str(stack.stack_id)
    return f"arn:{partition}:cloudformation:{backend.region_name}:{backend.account_id}:stack/{stack_name}/*"


def cloudformation_checks(response: Any) -> list[Check]:
    """A CloudFormation request: the stack named by ``StackName`` or by a change set's ARN, else ``*``.

    ``RoleARN`` also needs ``iam:PassRole`` on that role, passed to CloudFormation.
    """
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[response.current_account][response.region]
    change_set_name = response._get_param("ChangeSetName")
    role_arn = response._get_param("RoleARN")
    context: dict[str, tuple[str, ...]] = _tag_context(response._get_param("Tags"))
    for param, key in (
        ("RoleARN", "cloudformation:rolearn"),
        ("TemplateURL", "cloudformation:templateurl"),
        ("StackPolicyURL", "cloudformation:stackpolicyurl"),
    ):
        if value := response._get_param(param):
            context[key] = (value,)
    if change_set_name and not change_set_name.startswith("arn:"):
        context["cloudformation:changesetname"] = (change_set_name,)
    if resource_types := response._get_param("ResourceTypes"):
        context["cloudformation:resourcetypes"] = tuple(resource_types)
    resource = stack_arn(backend, response._get_param("StackName"), change_set_name, response.partition)
    checks = [Check(f"cloudformation:{response._get_action()}", resource, context)]
    if role_arn:
        checks.append(Check("iam:PassRole", role_arn, {"iam:passedtoservice": (CLOUDFORMATION_SERVICE,)}))
    return checks


def parameter_arn(name: str, partition: str, region: str, account: str) -> str:
    """An SSM parameter's ARN (``/a/b`` and ``a`` are ``parameter/a/b`` and ``parameter/a``); a version or
    label selector (``name:3``) is not part of it; a path keeps its trailing slash, as AWS reports it."""
    if name.startswith("arn:"):
        return name
    name = name.split(":", 1)[0]
    return f"arn:{partition}:ssm:{region}:{account}:parameter{name if name.startswith('/') else '/' + name}"


def ssm_checks(response: Any) -> list[Check]:
    """An SSM request: one check per parameter it names, else one on ``*``."""
    operation = response._get_action()
    action = f"ssm:{operation}"

    def arn(name: str) -> str:
        return parameter_arn(name, response.partition, response.region, response.current_account)

    names: list[str] = []
    if operation in _SSM_BY_NAME:
        names = [response._get_param("Name") or ""]
    elif operation in _SSM_BY_NAMES:
        names = list(response._get_param("Names") or [])
    elif operation == "GetParametersByPath":
        names = [response._get_param("Path") or ""]
    elif operation in _SSM_TAGGING and response._get_param("ResourceType") == "Parameter":
        names = [response._get_param("ResourceId") or ""]
    context = _tag_context(response._get_param("Tags")) if operation == "PutParameter" else {}
    return [Check(action, arn(name), context) for name in names] or [Check(action, "*", context)]


def s3_checks(response: Any, bucket_name: str | None, key_name: str | None) -> list[Check]:
    """An S3 request, as moto names its operation: the bucket's or the object's ARN (``*`` for none).

    ``DeleteObjects`` and browser-form uploads (object operations moto authorizes on the bucket) are not
    checked: AWS authorizes them per object, which moto does not show here.
    """
    operation = str(response.data.get("Action") or "")
    if operation in _S3_OBJECT_ACTIONS and bucket_name and not key_name:
        return []
    if not bucket_name:
        resource = "*"
    else:
        resource = f"arn:{response.partition}:s3:::{bucket_name}" + (f"/{key_name}" if key_name else "")
    return [Check(f"s3:{S3_ACTIONS.get(operation, operation)}", resource)]


# moto's service name (``BaseResponse.service_name``) -> the checks of a request of that service.
SERVICES: dict[str, Callable[[Any], list[Check]]] = {
    "cloudformation": cloudformation_checks,
    "ssm": ssm_checks,
}
