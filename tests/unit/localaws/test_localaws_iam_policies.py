"""IAM identity-policy evaluation of the emulator: matching, condition operators, Deny/Allow logic."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flightdeck.localaws.iam_policies import (
    Decision,
    condition_holds,
    evaluate,
    matches,
    matches_action,
    matches_arn,
    parse_policy,
)

ACCOUNT = "111111111111"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/flightdeck-cfn-exec"
HELLO = f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/hello-dev/0a1b2c3d"
OTHER = f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/other-dev/0a1b2c3d"

# The deploy role's statements as bootstrap.yaml renders them for StackNamePrefixes "hello-,web-".
DEPLOY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ChangeSetsOnApplicationStacks",
            "Effect": "Allow",
            "Action": ["cloudformation:CreateChangeSet", "cloudformation:DescribeStacks"],
            "Resource": [
                f"arn:aws:cloudformation:*:{ACCOUNT}:stack/hello-*",
                "arn:aws:cloudformation:*:*:stack/web-*",
            ],
        },
        {
            "Sid": "OnlyWithTheExecutionRole",
            "Effect": "Deny",
            "Action": "cloudformation:CreateChangeSet",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"cloudformation:RoleArn": EXECUTION_ROLE}},
        },
        {
            "Sid": "PassTheExecutionRoleToCloudFormation",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": EXECUTION_ROLE,
            "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
        },
    ],
}


def _decide(policy: dict[str, Any], action: str, resource: str, **context: str | list[str]) -> Decision:
    values = {key.lower(): (value,) if isinstance(value, str) else tuple(value) for key, value in context.items()}
    return evaluate([parse_policy(policy)], action, resource, values)


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        ("*", HELLO, True),
        (f"arn:aws:cloudformation:*:{ACCOUNT}:stack/hello-*", HELLO, True),
        (f"arn:aws:cloudformation:*:{ACCOUNT}:stack/hello-*", OTHER, False),
        ("arn:aws:cloudformation:*:*:stack/hello-dev/*", HELLO, True),
        ("arn:aws:cloudformation:eu-west-?:*:stack/*", HELLO, True),
        ("arn:aws:cloudformation:us-*:*:stack/*", HELLO, False),
        ("arn:aws:cloudformation:*:222222222222:stack/*", HELLO, False),
        ("arn:aws:s3:::bucket.one/*", "arn:aws:s3:::bucket.one/a/b.zip", True),
        ("arn:aws:s3:::bucket.one/*", "arn:aws:s3:::bucketXone/a", False),  # "." is literal
        ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/key", False),
        ("arn:aws:cloudformation:*:*:stack/Hello-*", HELLO, False),  # case-sensitive
        # A "*" inside a part stays in it; one ending a part may run past colons (IAM's documented rule).
        ("arn:aws:lambda:*:*:function:hello-*", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:hello-x:live", True),
        ("arn:aws:ssm:eu-*1:*:parameter/*", f"arn:aws:ssm:eu-west:1:{ACCOUNT}:parameter/x", False),
    ],
)
def test_resource_arns_match_with_wildcards(pattern: str, arn: str, expected: bool) -> None:
    assert matches_arn(pattern, arn) is expected


def test_actions_match_case_insensitively_with_wildcards() -> None:
    assert matches_action("cloudformation:*ChangeSet", "cloudformation:ExecuteChangeSet")
    assert matches_action("CloudFormation:executechangeset", "cloudformation:ExecuteChangeSet")
    assert matches_action("ssm:GetParameter?", "ssm:GetParameters")
    assert not matches_action("ssm:GetParameter", "ssm:GetParameters")
    assert not matches_action("s3:Get*", "s3:PutObject")
    assert matches("a*c", "abbbc")
    assert not matches("a?c", "abbc")


def test_the_deploy_role_creates_change_sets_on_its_stacks_with_the_execution_role_only() -> None:
    action = "cloudformation:CreateChangeSet"
    assert _decide(DEPLOY_POLICY, action, HELLO, **{"cloudformation:RoleArn": EXECUTION_ROLE}) is Decision.ALLOWED
    web = HELLO.replace("hello-dev", "web-prod")
    assert _decide(DEPLOY_POLICY, action, web, **{"cloudformation:RoleArn": EXECUTION_ROLE}) is Decision.ALLOWED
    # Another stack: no Allow, and the Deny does not apply (the role is right): an implicit deny.
    assert _decide(DEPLOY_POLICY, action, OTHER, **{"cloudformation:RoleArn": EXECUTION_ROLE}) is Decision.IMPLICIT_DENY
    # No role (the key is missing: a negated operator holds) or another role: the Deny wins over the Allow.
    assert _decide(DEPLOY_POLICY, action, HELLO) is Decision.EXPLICIT_DENY
    other_role = {"cloudformation:RoleArn": f"arn:aws:iam::{ACCOUNT}:role/admin"}
    assert _decide(DEPLOY_POLICY, action, HELLO, **other_role) is Decision.EXPLICIT_DENY
    # Nothing allows executing: the bootstrap grants no ExecuteChangeSet in this policy.
    assert _decide(DEPLOY_POLICY, "cloudformation:ExecuteChangeSet", HELLO) is Decision.IMPLICIT_DENY


def test_pass_role_only_to_cloudformation() -> None:
    to = "iam:PassedToService"
    assert _decide(DEPLOY_POLICY, "iam:PassRole", EXECUTION_ROLE, **{to: "cloudformation.amazonaws.com"}) is (
        Decision.ALLOWED
    )
    assert _decide(DEPLOY_POLICY, "iam:PassRole", EXECUTION_ROLE, **{to: "lambda.amazonaws.com"}) is (
        Decision.IMPLICIT_DENY
    )
    assert _decide(DEPLOY_POLICY, "iam:PassRole", EXECUTION_ROLE) is Decision.IMPLICIT_DENY  # key missing


def test_not_action_and_not_resource() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::artifacts/*"},
        ]
    }
    assert _decide(policy, "ssm:GetParameter", "arn:aws:ssm:eu-west-1:1:parameter/x") is Decision.ALLOWED
    assert _decide(policy, "iam:CreateRole", "*") is Decision.IMPLICIT_DENY
    assert _decide(policy, "s3:GetObject", "arn:aws:s3:::artifacts/a.zip") is Decision.ALLOWED
    assert _decide(policy, "s3:GetObject", "arn:aws:s3:::other/a.zip") is Decision.EXPLICIT_DENY


def test_policy_documents_as_text_or_parsed_and_a_single_statement() -> None:
    single = {"Statement": {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}}
    assert parse_policy(json.dumps(single)) == parse_policy(single)
    assert _decide(single, "ssm:PutParameter", "*") is Decision.ALLOWED
    # A statement without Resource or NotResource applies to nothing; what is no statement is skipped.
    assert _decide({"Statement": [{"Effect": "Allow", "Action": "*"}, None]}, "ssm:PutParameter", "*") is (
        Decision.IMPLICIT_DENY
    )
    assert evaluate([], "ssm:PutParameter", "*", {}) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "holds"),
    [
        ("StringEquals", ["a", "b"], ["b"], True),  # the policy's values are alternatives
        ("StringEquals", ["a"], ["A"], False),
        ("StringEquals", ["a"], None, False),  # a missing key fails ...
        ("StringNotEquals", ["a"], None, True),  # ... except for a negated operator
        ("StringNotEquals", ["a", "b"], ["b"], False),
        ("StringEqualsIgnoreCase", ["a"], ["A"], True),
        ("StringLike", ["flightdeck/*"], ["flightdeck/dev"], True),
        ("StringNotLike", ["flightdeck/*"], ["other"], True),
        ("StringEqualsIfExists", ["a"], None, True),
        ("StringEqualsIfExists", ["a"], ["b"], False),
        ("ArnEquals", ["arn:aws:iam::aws:policy/service-role/*"], ["arn:aws:iam::aws:policy/service-role/X"], True),
        ("ArnLike", ["arn:aws:iam::*:role/hello-*"], [f"arn:aws:iam::{ACCOUNT}:role/web-x"], False),
        ("ArnNotEquals", ["arn:aws:iam::*:role/a"], [f"arn:aws:iam::{ACCOUNT}:role/b"], True),
        ("Bool", ["false"], ["false"], True),
        ("Bool", ["true"], ["false"], False),
        ("Bool", ["false"], None, False),
        ("Null", ["true"], None, True),
        ("Null", ["false"], None, False),
        ("Null", ["false"], ["x"], True),
        ("NumericLessThan", ["10"], ["3"], True),
        ("NumericGreaterThanEquals", ["10"], ["3"], False),
        ("ForAnyValue:StringEquals", ["a"], ["b", "a"], True),
        ("ForAnyValue:StringEquals", ["a"], None, False),
        ("ForAllValues:StringEquals", ["a", "b"], ["b", "a"], True),
        ("ForAllValues:StringEquals", ["a"], ["a", "c"], False),
        ("ForAllValues:StringEquals", ["a"], None, True),
    ],
)
def test_condition_operators(operator: str, expected: list[str], actual: list[str] | None, holds: bool) -> None:
    context = {} if actual is None else {"some:key": tuple(actual)}
    assert condition_holds(operator, "Some:Key", tuple(expected), context) is holds


def test_an_unsupported_operator_fails_closed() -> None:
    condition = {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}
    assert condition_holds("DateLessThan", "aws:CurrentTime", ("2030-01-01T00:00:00Z",), {}) is None
    allow = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}]}
    deny = {
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {**allow["Statement"][0], "Effect": "Deny"}]
    }
    assert _decide(allow, "ssm:GetParameter", "*") is Decision.IMPLICIT_DENY  # the Allow does not apply
    assert _decide(deny, "ssm:GetParameter", "*") is Decision.EXPLICIT_DENY  # the Deny does


def test_condition_keys_are_case_insensitive_and_values_may_be_booleans() -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"AWS:SecureTransport": False}},
            }
        ]
    }
    assert _decide(policy, "s3:GetObject", "*", **{"aws:securetransport": "false"}) is Decision.ALLOWED
    assert _decide(policy, "s3:GetObject", "*", **{"aws:securetransport": "true"}) is Decision.IMPLICIT_DENY


def test_a_deny_with_an_unsupported_operator_still_needs_its_other_conditions() -> None:
    conditions = {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}, "StringEquals": {"aws:x": "a"}}
    deny = {
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": conditions},
        ]
    }
    assert _decide(deny, "ssm:GetParameter", "*", **{"aws:x": "b"}) is Decision.ALLOWED
    assert _decide(deny, "ssm:GetParameter", "*", **{"aws:x": "a"}) is Decision.EXPLICIT_DENY
