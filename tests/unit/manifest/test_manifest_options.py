"""Tests of stack options, approval rules and the refresh schedule."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from manifest_samples import BASE

from flightdeck.errors import ManifestIssue
from flightdeck.manifest import load_manifest

IssueOf = Callable[[str], ManifestIssue]
IssuesOf = Callable[[str], list[ManifestIssue]]

POLICY = {"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}
ENV_OPTIONS = "    stack_options:\n"  # environment dev's stack_options start at line 17


def top(text: str, environment: str = "") -> str:
    """BASE with stack_options of environment dev (from line 17, when given), then top-level ones."""
    env = ENV_OPTIONS + "".join(f"      {line}\n" for line in environment.splitlines()) if environment else ""
    return BASE + env + "stack_options:\n" + "".join(f"  {line}\n" for line in text.splitlines())


def test_environment_options_replace_the_top_level_key_by_key(write_manifest) -> None:
    text = top(
        "tags: {team: web, owner: ops}\ntermination_protection: true\n"
        "notification_arns: [arn:aws:sns:eu-west-1:111111111111:t]",
        environment="tags: {tier: critical, team: shop}\nnotification_arns: []",
    )
    manifest = load_manifest(write_manifest(text))
    merged = manifest.stack_options_for(manifest.environments[0])
    assert merged.tags == {"team": "shop", "owner": "ops", "tier": "critical"}
    assert merged.termination_protection is True
    assert merged.notification_arns == ()
    assert manifest.stack_options.tags == {"team": "web", "owner": "ops"}


def test_stack_policy_file_relative_to_the_manifest(write_manifest) -> None:
    path = write_manifest(top("stack_policy: policies/stack.json"))
    (path.parent / "policies").mkdir()
    (path.parent / "policies" / "stack.json").write_text(json.dumps(POLICY, indent=4))
    manifest = load_manifest(path)
    assert manifest.stack_options.stack_policy_json == json.dumps(POLICY, sort_keys=True, separators=(",", ":"))


def test_inline_stack_policy_and_its_removal_in_an_environment(write_manifest) -> None:
    inline = "stack_policy: {Statement: [{Effect: Deny, Action: 'Update:*', Principal: '*', Resource: '*'}]}"
    manifest = load_manifest(write_manifest(top(inline)))
    assert json.loads(manifest.stack_options.stack_policy_json)["Statement"][0]["Effect"] == "Deny"
    manifest = load_manifest(write_manifest(top(inline, environment="stack_policy: null")))
    assert manifest.stack_options_for(manifest.environments[0]).stack_policy_json == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "stack policy file 'policy.json' cannot be read ("),
        ("{", "stack policy file 'policy.json' is not valid JSON: Expecting property name enclosed in double quotes"),
        ('{"Statements": []}', "a stack policy is a JSON object with a Statement list, like {"),
    ],
)
def test_bad_stack_policy_file(write_manifest, content: str | None, message: str) -> None:
    from flightdeck.errors import ManifestError

    path = write_manifest(top("stack_policy: policy.json"))
    if content is not None:
        (path.parent / "policy.json").write_text(content)
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    [issue] = info.value.issues
    assert (issue.line, issue.column, issue.field) == (18, 17, "stack_options.stack_policy")
    assert message in issue.message


def test_stack_policy_of_the_wrong_kind(issue_of: IssueOf) -> None:
    issue = issue_of(top("stack_policy: [a]"))
    assert (issue.line, issue.field) == (18, "stack_options.stack_policy")
    assert issue.message == "stack_policy is a JSON file path (relative to the manifest) or a mapping, not a list"


@pytest.mark.parametrize("key", ["aws:team", "flightdeck:owner", "AWS:x", "FlightDeck:y"])
def test_reserved_tag_keys(issue_of: IssueOf, key: str) -> None:
    issue = issue_of(top(f"tags: {{ok: fine, '{key}': x}}"))
    assert (issue.line, issue.column, issue.field) == (18, 20, f"stack_options.tags.{key}")
    assert issue.message.startswith(f"tag key {key!r} is reserved: keys starting with aws: belong to AWS")


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ("{team: 1}", 'YAML reads the unquoted 1 as a number; quote it: "1"'),
        ("{'a|b': x}", "tag key 'a|b' is not valid: 1 to 128 letters, digits, spaces and _ . : / = + - @"),
        ("{team: " + "x" * 257 + "}", "is not valid: 0 to 256 letters"),
    ],
)
def test_bad_tags(issue_of: IssueOf, tags: str, message: str) -> None:
    issue = issue_of(top(f"tags: {tags}"))
    assert (issue.line, issue.field[: len("stack_options.tags")]) == (18, "stack_options.tags")
    assert message in issue.message


def test_too_many_stack_tags_after_merging(issue_of: IssueOf) -> None:
    env_tags = ", ".join(f"e{index}: x" for index in range(10))
    top_tags = ", ".join(f"t{index}: x" for index in range(40))
    issue = issue_of(
        BASE + ENV_OPTIONS + f"      tags: {{{env_tags}}}\n" + top(f"tags: {{{top_tags}}}").removeprefix(BASE)
    )
    assert (issue.line, issue.column, issue.field) == (18, 7, "environments[0].stack_options.tags")
    assert issue.message == (
        "environment dev has 50 stack tags; at most 46 fit, as CloudFormation allows 50 and Flightdeck adds 4 "
        "(flightdeck:application, flightdeck:environment, flightdeck:version, flightdeck:run-id)"
    )


@pytest.mark.parametrize(
    ("option", "field", "message"),
    [
        ("termination_protection: 'yes'", "termination_protection", "expected true or false, got text"),
        (
            "notification_arns: [arn:aws:sqs:eu-west-1:111111111111:q]",
            "notification_arns[0]",
            "'arn:aws:sqs:eu-west-1:111111111111:q' is not an SNS topic ARN: write arn:aws:sns:{region}:{account_id}:",
        ),
        (
            "notification_arns: ['arn:aws:sns:{region}:{acount_id}:t']",
            "notification_arns[0]",
            "unknown placeholder {acount_id}; did you mean 'account_id'? (allowed: {account_id}, {region})",
        ),
        (
            "notification_arns: [" + ", ".join(f"arn:aws:sns:eu-west-1:111111111111:t{i}" for i in range(6)) + "]",
            "notification_arns",
            "too many entries (6): at most 5",
        ),
        (
            "rollback_triggers: {alarms: ["
            + ", ".join(f"arn:aws:cloudwatch:eu-west-1:111111111111:alarm:a{i}" for i in range(6))
            + "]}",
            "rollback_triggers.alarms",
            "too many entries (6): at most 5",
        ),
        (
            "rollback_triggers: {alarms: [arn:aws:cloudwatch:eu-west-1:111111111111:metric:x]}",
            "rollback_triggers.alarms[0]",
            "is not a CloudWatch alarm ARN: write arn:aws:cloudwatch:{region}:{account_id}:alarm:<name>",
        ),
        (
            "rollback_triggers: {monitoring_minutes: 181}",
            "rollback_triggers.monitoring_minutes",
            "181 is too large: the most allowed is 180",
        ),
        (
            "rollback_triggers: {monitoring_minutes: -1}",
            "rollback_triggers.monitoring_minutes",
            "-1 is too small: the least allowed is 0",
        ),
    ],
)
def test_bad_options(issue_of: IssueOf, option: str, field: str, message: str) -> None:
    issue = issue_of(top(option))
    assert (issue.line, issue.field) == (18, f"stack_options.{field}")
    assert message in issue.message


def test_arns_with_placeholders_and_rollback_triggers(write_manifest) -> None:
    options = (
        "notification_arns: ['arn:aws:sns:{region}:{account_id}:events']\n"
        "rollback_triggers:\n"
        "  alarms: ['arn:aws:cloudwatch:{region}:{account_id}:alarm:5xx errors']\n"
        "  monitoring_minutes: 15"
    )
    options = load_manifest(write_manifest(top(options))).stack_options
    assert options.notification_arns == ("arn:aws:sns:{region}:{account_id}:events",)
    assert options.rollback_triggers.alarms == ("arn:aws:cloudwatch:{region}:{account_id}:alarm:5xx errors",)
    assert options.rollback_triggers.monitoring_minutes == 15


# Approval rules


def approval(text: str) -> str:
    return BASE + f"    approval: {{{text}}}\n"


def test_approval_defaults_and_rules(write_manifest) -> None:
    manifest = load_manifest(write_manifest(BASE))
    rules = manifest.environments[0].approval
    assert (rules.on_timeout, rules.auto_approve) == ("reject", "empty")
    text = approval("required: true, approvers: [a], timeout: 1h, on_timeout: approve, auto_approve: benign")
    rules = load_manifest(write_manifest(text)).environments[0].approval
    assert (rules.on_timeout, rules.auto_approve, rules.timeout_seconds) == ("approve", "benign", 3600)


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("required: true, approvers: [a], on_timeout: approve", "on_timeout", "on_timeout: approve needs a timeout"),
        ("on_timeout: accept", "on_timeout", "'accept' is not allowed here; use 'reject' or 'approve'"),
        ("auto_approve: always", "auto_approve", "'always' is not allowed here; use 'never', 'empty' or 'benign'"),
        ("required: true, approvers: [a], timeout: 400d", "timeout", "duration '400d' is too long: at most 365d"),
    ],
)
def test_bad_approval_rules(issue_of: IssueOf, text: str, field: str, message: str) -> None:
    issue = issue_of(approval(text))
    assert (issue.line, issue.field) == (17, f"environments[0].approval.{field}")
    assert message in issue.message


# Refresh


def refresh(schedule: str, environments: str) -> str:
    return BASE + f"refresh:\n  schedule: {schedule}\n  environments: {environments}\n"


def test_refresh(write_manifest) -> None:
    manifest = load_manifest(write_manifest(refresh("'0 3 * * MON-FRI'", "[dev]")))
    assert (manifest.refresh.schedule, manifest.refresh.environments) == ("0 3 * * MON-FRI", ("dev",))
    assert load_manifest(write_manifest(refresh("'@daily'", "[dev]"))).refresh.schedule == "@daily"


@pytest.mark.parametrize(
    ("schedule", "environments", "where", "message"),
    [
        ("'0 3 * *'", "[dev]", (18, "refresh.schedule"), "is not a cron expression: write 5 fields (minute hour day"),
        (
            "'61 * * * *'",
            "[dev]",
            (18, "refresh.schedule"),
            "'61 * * * *' is not a valid cron expression: [61 * * * *]",
        ),
        (
            "'0 3 * * *'",
            "[dve]",
            (19, "refresh.environments[0]"),
            "no environment 'dve' in this manifest; did you mean 'dev'?",
        ),
        ("'0 3 * * *'", "['*']", (19, "refresh.environments[0]"), "'*': there is no wildcard; list each environment"),
        ("'0 3 * * *'", "[]", (19, "refresh.environments"), "must not be empty: list at least one entry"),
        ("'0 3 * * *'", "[dev, dev]", (19, "refresh.environments[1]"), "duplicate environment 'dev'"),
    ],
)
def test_bad_refresh(issue_of: IssueOf, schedule: str, environments: str, where: tuple, message: str) -> None:
    issue = issue_of(refresh(schedule, environments))
    assert (issue.line, issue.field) == where
    assert message in issue.message
