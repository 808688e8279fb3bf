"""Every name Flightdeck generates: DAG and task ids, stacks, change sets, sessions, buckets, role ARNs."""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Mapping

# Task ids inside each environment's task groups, and the group ids themselves.
PACKAGE = "package"
CREATE_CHANGE_SET = "create_change_set"
APPROVE = "approve"
EXECUTE_CHANGE_SET = "execute_change_set"
SMOKE_TEST = "smoke_test"
PREPARE_GROUP = "prepare"
DEPLOY_GROUP = "deploy"
PREFLIGHT = "preflight"  # before every environment: each target's role, bucket and parameters are usable
SELECT_ACCOUNTS = "select_accounts"  # before preflight: the accounts each environment selects from AWS Organizations
DRY_RUN_REPORT = "dry_run_report"  # after every environment: the diff matrix of a dry run
RELEASE_SUMMARY = "release_summary"  # last, whatever happened: which targets succeeded, failed, never started
WAVE_CHECK = "wave_check"  # after a wave that tolerates failures or bakes
DETECT_DRIFT = "detect_drift"  # refresh DAG: first per target, before its change set

# Tags Flightdeck puts on every stack it deploys.
APPLICATION_TAG = "flightdeck:application"
ENVIRONMENT_TAG = "flightdeck:environment"
VERSION_TAG = "flightdeck:version"
RUN_ID_TAG = "flightdeck:run-id"

DAG_ID_PREFIX = "release__"
REFRESH_DAG_ID_PREFIX = "refresh__"
ARTIFACT_BUCKET_PREFIX = "flightdeck-artifacts"
CHANGE_SET_PREFIX = "flightdeck"

STACK_NAME_PLACEHOLDERS = ("application", "environment", "account_id", "region")
REFERENCE_PLACEHOLDERS = STACK_NAME_PLACEHOLDERS  # in ssm: and secretsmanager: parameter references
ARN_PLACEHOLDERS = ("account_id", "region")  # in notification topic and rollback alarm ARNs
ROLE_ARN_PLACEHOLDER = "{account_id}"

STACK_NAME_MAX = 128
CHANGE_SET_NAME_MAX = 128
SESSION_NAME_MAX = 64
_HASH_CHARS = 10

_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")
_STACK_NAME_RE = re.compile(r"[A-Za-z][-A-Za-z0-9]*")
_NOT_SLUG = re.compile(r"[^A-Za-z0-9]+")
_NOT_SESSION = re.compile(r"[^A-Za-z0-9_+=,.@-]+")


def dag_id(application: str) -> str:
    """The id of the release DAG of ``application``."""
    return f"{DAG_ID_PREFIX}{application}"


def refresh_dag_id(application: str) -> str:
    """The id of the scheduled refresh DAG of ``application``."""
    return f"{REFRESH_DAG_ID_PREFIX}{application}"


def target_label(environment: str, account_id: str, region: str) -> str:
    """The human label of one deployment target, also its mapped-task name: ``dev/111111111111/eu-west-1``."""
    return f"{environment}/{account_id}/{region}"


def stack_name(template: str, application: str, environment: str, account_id: str, region: str) -> str:
    """Fill the manifest's ``stack_name`` template and check the result is a valid CloudFormation stack name.

    :raises ValueError: on an unknown placeholder or when the result is not a valid stack name.
    """
    unknown = sorted(set(template_placeholders(template)) - set(STACK_NAME_PLACEHOLDERS))
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}} in stack name template {template!r}")
    name = template.format(application=application, environment=environment, account_id=account_id, region=region)
    if not _STACK_NAME_RE.fullmatch(name) or len(name) > STACK_NAME_MAX:
        raise ValueError(
            f"stack name {name!r} is not valid: CloudFormation wants a letter, then letters, digits and "
            f"hyphens, at most {STACK_NAME_MAX} characters"
        )
    return name


def template_placeholders(template: str) -> list[str]:
    """The ``{placeholder}`` names used in a ``str.format`` template, in order.

    :raises ValueError: when the template is malformed (unbalanced braces, format specs, conversions).
    """
    names = []
    for _literal, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            continue
        if spec or conversion or not field.isidentifier():
            raise ValueError(f"placeholder {{{field}}} must be a plain name like {{application}}")
        names.append(field)
    return names


def fill_placeholders(template: str, values: Mapping[str, str]) -> str:
    """Replace each ``{name}`` of ``values`` in ``template``; other braces are left as they are."""
    return _PLACEHOLDER_RE.sub(lambda match: values.get(match[1], match[0]), template)


def task_id(group: str, *parts: str) -> str:
    """The full id of a task inside a task group: ``task_id("prod", PREPARE_GROUP, PACKAGE)``."""
    return ".".join((group, *parts))


def wave_group(environment: str, wave: str, waves: int) -> str:
    """The task group of one wave's tasks: the environment's own group when it has a single wave."""
    return environment if waves == 1 else f"{environment}.{wave}"


def artifact_bucket(account_id: str, region: str) -> str:
    """The S3 bucket holding packaged templates in one target account and region."""
    return f"{ARTIFACT_BUCKET_PREFIX}-{account_id}-{region}"


def role_arn(name_or_template: str, account_id: str) -> str:
    """A role ARN in ``account_id`` from a role name or an ARN template containing ``{account_id}``."""
    if name_or_template.startswith("arn:"):
        return name_or_template.replace(ROLE_ARN_PLACEHOLDER, account_id)
    return f"arn:aws:iam::{account_id}:role/{name_or_template}"


def change_set_name(run_id: str, target_label: str) -> str:
    """A CloudFormation change-set name unique per DAG run and target.

    Readable slug of label and run id, cut to fit, then a hash of both so that cutting never collides.
    """
    digest = _digest(run_id, target_label)
    slug = _NOT_SLUG.sub("-", f"{target_label}-{run_id}").strip("-")
    room = CHANGE_SET_NAME_MAX - len(CHANGE_SET_PREFIX) - len(digest) - 2
    slug = slug[:room].rstrip("-")
    return f"{CHANGE_SET_PREFIX}-{slug}-{digest}" if slug else f"{CHANGE_SET_PREFIX}-{digest}"


def sts_session_name(dag_id: str, run_id: str, account_id: str) -> str:
    """The STS role-session name of one run in one account (visible in the target account's CloudTrail).

    At most 64 characters of ``[\\w+=,.@-]``; the hash of all three inputs keeps cut names distinct.
    """
    digest = _digest(dag_id, run_id, account_id)
    readable = _NOT_SESSION.sub("-", f"{dag_id}.{run_id}")  # the role name already says Flightdeck
    room = SESSION_NAME_MAX - len(digest) - 1
    return f"{readable[:room]}.{digest}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:_HASH_CHARS]


def rollback_change_set_name(run_id: str, target_label: str) -> str:
    """The change-set name of a run's rollback of one target (distinct from the run's own change set)."""
    return change_set_name(run_id, f"rollback {target_label}")


def refresh_change_set_name(run_id: str, target_label: str) -> str:
    """The change-set name of a refresh run's redeployment of one target."""
    return change_set_name(run_id, f"refresh {target_label}")
