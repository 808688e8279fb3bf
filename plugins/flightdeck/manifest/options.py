"""Stack options, approval rules, rollback rules and the refresh schedule of a manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from flightdeck import naming
from flightdeck.manifest.fields import (
    Checked,
    Duration,
    StrictModel,
    TagKey,
    TagValue,
    UserName,
    check_placeholders,
    describe_type,
    invalid,
    matching,
    parse_duration,
    unique,
)

RESERVED_TAG_PREFIXES = ("aws:", "flightdeck:")
STACK_POLICY_MAX = 16384  # characters of StackPolicyBody CloudFormation accepts
_SAMPLE_ARN_VALUES = {"account_id": "123456789012", "region": "eu-west-1"}
_POLICY_EXAMPLE = '{"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}'


class Approval(StrictModel):
    """Whether an environment waits for a person before its change sets are executed.

    A change that replaces or deletes a stateful resource, or broadens IAM or network access, always waits for
    one of ``approvers``, even where approval is not required.

    :param required: wait for approval (default false).
    :param approvers: Airflow user names allowed to approve; required when ``required`` is true.
    :param timeout: how long to wait (``30m``, ``24h``, ``7d``); none waits forever.
    :param on_timeout: what a timeout means: ``reject`` (default) or ``approve``.
    :param auto_approve: when the gate passes without a person: ``never``, ``empty`` (default: every change set
        of the wave is empty) or ``benign`` (only in-place modifications, nothing flagged).
    :param per: one gate per ``wave`` (default) or per ``target``.
    :param notify: SNS topics told when approval is requested (the change summary and a link to the run).
    """

    required: bool = False
    approvers: Annotated[tuple[UserName, ...], unique("approver")] = ()
    timeout: Duration | None = None
    on_timeout: Literal["reject", "approve"] = "reject"
    auto_approve: Literal["never", "empty", "benign"] = "empty"
    per: Literal["wave", "target"] = "wave"
    notify: Annotated[tuple[ApprovalTopicArn, ...], unique("topic")] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Approval:
        if self.required and not self.approvers:
            at = "approvers" if "approvers" in self.model_fields_set else "required"
            raise invalid("approval is required but nobody may approve: list Airflow user names in approvers", at)
        if self.on_timeout == "approve" and self.timeout is None:
            raise invalid("on_timeout: approve needs a timeout; without one the gate waits forever", "on_timeout")
        return self

    @property
    def timeout_seconds(self) -> int | None:
        """The timeout in seconds, or None to wait forever."""
        return parse_duration(self.timeout) if self.timeout else None


class Rollback(StrictModel):
    """What happens to a target whose smoke tests fail; an environment's ``rollback`` replaces these key by key.

    :param on_smoke_failure: roll the target back to what ran before this release when a smoke test fails
        (default true).
    :param delete_created_stacks: when rolling back a stack this release created, delete it (default false: it is
        kept for investigation).
    """

    on_smoke_failure: bool = True
    delete_created_stacks: bool = False

    def merged(self, override: Rollback | None) -> Rollback:
        """These rules with each key ``override`` sets replaced."""
        if override is None:
            return self
        return self.model_copy(update={name: getattr(override, name) for name in override.model_fields_set})


def _arn(service: str, resource: str, what: str, example: str) -> Checked:
    pattern = re.compile(rf"arn:aws[a-z-]*:{service}:[a-z0-9-]+:[0-9]{{12}}:{resource}", re.ASCII)

    def check(value: str) -> str:
        check_placeholders(value, naming.ARN_PLACEHOLDERS)
        if not pattern.fullmatch(naming.fill_placeholders(value, _SAMPLE_ARN_VALUES)):
            raise invalid(
                f"{value!r} is not {what} ARN: write {example} ({{account_id}} and {{region}} are filled per target)"
            )
        return value

    return Checked(check)


def _not_reserved(key: str) -> str:
    if key.lower().startswith(RESERVED_TAG_PREFIXES):
        raise invalid(
            f"tag key {key!r} is reserved: keys starting with aws: belong to AWS, and flightdeck: to Flightdeck, which "
            "tags every stack with its application, environment, version and run; choose another key"
        )
    return key


ApprovalTopicArn = Annotated[
    str,
    matching(
        r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}",
        "topic ARN",
        "arn:aws:sns:<region>:<account id>:<topic name>, a topic the orchestrator may publish to",
    ),
]
TopicArn = Annotated[
    str, _arn("sns", r"[A-Za-z0-9_-]{1,256}", "an SNS topic", "arn:aws:sns:{region}:{account_id}:<topic name>")
]
AlarmArn = Annotated[
    str,
    _arn(
        "cloudwatch",
        r"alarm:[^:]{1,255}",
        "a CloudWatch alarm",
        "arn:aws:cloudwatch:{region}:{account_id}:alarm:<name>",
    ),
]
StackTagKey = Annotated[TagKey, AfterValidator(_not_reserved)]


class RollbackTriggers(StrictModel):
    """CloudWatch alarms that make CloudFormation roll a stack back when they go off during or after an update.

    :param alarms: up to 5 CloudWatch alarm ARNs; ``{account_id}`` and ``{region}`` are filled per target.
    :param monitoring_minutes: how long CloudFormation keeps watching the alarms after the update, 0 to 180.
    """

    alarms: Annotated[tuple[AlarmArn, ...], Field(max_length=5), unique("alarm")] = ()
    monitoring_minutes: Annotated[int, Field(ge=0, le=180)] = 0


def _policy_shape(value: Any) -> Any:
    if not isinstance(value, str | dict):
        raise invalid(
            f"stack_policy is a JSON file path (relative to the manifest) or a mapping, not {describe_type(value)}"
        )
    return value


StackPolicy = Annotated[
    str | dict[str, Any],
    BeforeValidator(_policy_shape),
    WithJsonSchema(
        {"oneOf": [{"type": "string", "description": "a JSON file, relative to the manifest"}, {"type": "object"}]}
    ),
]


class StackOptions(StrictModel):
    """CloudFormation settings of every stack; an environment's ``stack_options`` replace these key by key.

    :param tags: stack tags (text → text), merged with the top level's; keys may not start with ``aws:`` or
        ``flightdeck:``.
    :param termination_protection: refuse to delete the stack (default false).
    :param stack_policy: a stack policy: a JSON file path relative to the manifest, or the policy as a mapping.
    :param notification_arns: up to 5 SNS topic ARNs told about stack events; ``{account_id}`` and ``{region}``
        are filled per target.
    :param rollback_triggers: alarms that roll an update back.
    """

    tags: dict[StackTagKey, TagValue] = {}
    termination_protection: bool = False
    stack_policy: StackPolicy | None = None
    notification_arns: Annotated[tuple[TopicArn, ...], Field(max_length=5), unique("topic")] = ()
    rollback_triggers: RollbackTriggers = RollbackTriggers()

    _policy_json: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _read_policy(self, info: ValidationInfo) -> StackOptions:
        if self.stack_policy is not None:
            self._policy_json = _canonical_policy(self.stack_policy, (info.context or {}).get("base_dir"))
        return self

    @property
    def stack_policy_json(self) -> str:
        """The stack policy as compact JSON with sorted keys, or "" for none."""
        return self._policy_json

    def merged(self, override: StackOptions | None) -> StackOptions:
        """These options with each key ``override`` sets replaced; tags are merged (``override``'s win)."""
        if override is None:
            return self
        update = {name: getattr(override, name) for name in override.model_fields_set}
        update["tags"] = {**self.tags, **override.tags}
        merged = self.model_copy(update=update)
        if "stack_policy" in override.model_fields_set:
            merged._policy_json = override._policy_json
        return merged


def _canonical_policy(policy: str | dict[str, Any], base_dir: Path | None) -> str:
    if isinstance(policy, str):
        path = Path(base_dir or ".") / policy
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            raise invalid(
                f"stack policy file {policy!r} cannot be read ({path}: {getattr(err, 'strerror', None) or err}); "
                "the path is relative to the folder of the manifest",
                "stack_policy",
            ) from err
        except json.JSONDecodeError as err:
            message = (
                f"stack policy file {policy!r} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
            )
            raise invalid(message, "stack_policy") from err
    else:
        document = policy
    if not isinstance(document, dict) or not isinstance(document.get("Statement"), list | tuple):
        raise invalid(f"a stack policy is a JSON object with a Statement list, like {_POLICY_EXAMPLE}", "stack_policy")
    try:
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise invalid(
            f"stack policy must be plain JSON ({err}); quote dates and other special values", "stack_policy"
        ) from err
    if len(text) > STACK_POLICY_MAX:
        raise invalid(
            f"stack policy is {len(text)} characters long; CloudFormation accepts {STACK_POLICY_MAX}", "stack_policy"
        )
    return text


def _cron(value: str) -> str:
    from croniter import croniter  # only manifests with a refresh need it

    if not value.startswith("@") and len(value.split()) != 5:
        raise invalid(
            f"schedule {value!r} is not a cron expression: write 5 fields (minute hour day month weekday), "
            "like '0 3 * * *', or a preset like @daily"
        )
    try:
        croniter(value)
    except ValueError as err:
        raise invalid(f"schedule {value!r} is not a valid cron expression: {err}") from err
    return value


class Refresh(StrictModel):
    """A scheduled refresh of deployed stacks, outside releases.

    :param schedule: when, as a cron expression in UTC (``0 3 * * *``) or a preset like ``@daily``.
    :param environments: the environments refreshed, each by name: there is no wildcard, so a new environment
        (production above all) is refreshed only once listed here.
    """

    schedule: Annotated[str, Checked(_cron)]
    environments: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(min_length=1), unique("environment")]
