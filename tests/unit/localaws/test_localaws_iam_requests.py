"""What the emulator asks IAM for a request: resource ARNs per service, and AWS's wording of a refusal."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from flightdeck.localaws.iam_enforcement import denial_message
from flightdeck.localaws.iam_policies import Decision
from flightdeck.localaws.iam_requests import Check, parameter_arn, s3_checks, stack_arn

ACCOUNT, REGION = "111111111111", "eu-west-1"
HELLO_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/hello-dev/1111"
CHANGE_SET = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:changeSet/release-1/2222"
PRINCIPAL = f"arn:aws:sts::{ACCOUNT}:assumed-role/flightdeck-deploy/flightdeck"


def _backend() -> SimpleNamespace:
    """A CloudFormation backend with the stack ``hello-dev`` and one change set of it."""
    hello = SimpleNamespace(name="hello-dev", stack_id=HELLO_ID)
    return SimpleNamespace(
        region_name=REGION,
        account_id=ACCOUNT,
        stacks={HELLO_ID: hello},
        change_sets={CHANGE_SET: SimpleNamespace(stack_id=HELLO_ID)},
    )


@pytest.mark.parametrize(
    ("stack_name", "change_set_name", "expected"),
    [
        ("hello-dev", None, HELLO_ID),
        ("hello-dev", "release-1", HELLO_ID),
        (HELLO_ID, None, HELLO_ID),
        (None, CHANGE_SET, HELLO_ID),  # a change set's ARN alone names its stack
        ("other-dev", CHANGE_SET, HELLO_ID),  # the change set's own stack is what it touches
        ("other-dev", None, f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/other-dev/*"),  # not created yet
        (None, None, "*"),
        (None, CHANGE_SET.replace("2222", "9999"), "*"),  # an unknown change set and no stack
    ],
)
def test_stack_arn(stack_name: str | None, change_set_name: str | None, expected: str) -> None:
    assert stack_arn(_backend(), stack_name, change_set_name, "aws") == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("/flightdeck/hello/greeting", "parameter/flightdeck/hello/greeting"),
        ("greeting", "parameter/greeting"),
        ("/flightdeck/hello/greeting:3", "parameter/flightdeck/hello/greeting"),  # a version selector
        ("/flightdeck/hello/", "parameter/flightdeck/hello/"),  # a path, as GetParametersByPath names it
    ],
)
def test_parameter_arn(name: str, expected: str) -> None:
    assert parameter_arn(name, "aws", REGION, ACCOUNT) == f"arn:aws:ssm:{REGION}:{ACCOUNT}:{expected}"
    arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/x"
    assert parameter_arn(arn, "aws", REGION, ACCOUNT) == arn


@pytest.mark.parametrize(
    ("moto_action", "bucket", "key", "expected"),
    [
        ("GetObject", "artifacts", "hello/a.zip", Check("s3:GetObject", "arn:aws:s3:::artifacts/hello/a.zip")),
        ("HeadBucket", "artifacts", None, Check("s3:ListBucket", "arn:aws:s3:::artifacts")),
        ("ListAllMyBuckets", None, None, Check("s3:ListAllMyBuckets", "*")),
    ],
)
def test_s3_checks(moto_action: str, bucket: str | None, key: str | None, expected: Check) -> None:
    response = SimpleNamespace(data={"Action": moto_action}, partition="aws")
    assert s3_checks(response, bucket, key) == [expected]


def test_denial_messages_in_aws_wording() -> None:
    execute = Check("cloudformation:ExecuteChangeSet", HELLO_ID)
    assert denial_message(PRINCIPAL, execute, Decision.IMPLICIT_DENY) == (
        f"User: {PRINCIPAL} is not authorized to perform: cloudformation:ExecuteChangeSet on resource: {HELLO_ID} "
        "because no identity-based policy allows the cloudformation:ExecuteChangeSet action"
    )
    assert denial_message(PRINCIPAL, execute, Decision.EXPLICIT_DENY) == (
        f"User: {PRINCIPAL} is not authorized to perform: cloudformation:ExecuteChangeSet on resource: {HELLO_ID} "
        "with an explicit deny in an identity-based policy"
    )
    get = Check("s3:GetObject", "arn:aws:s3:::artifacts/a")
    assert ' on resource: "arn:aws:s3:::artifacts/a" because' in denial_message(
        PRINCIPAL, get, Decision.IMPLICIT_DENY, quote_resource=True
    )
    listing = Check("cloudformation:DescribeStacks", "*")
    assert denial_message(PRINCIPAL, listing, Decision.IMPLICIT_DENY) == (
        f"User: {PRINCIPAL} is not authorized to perform: cloudformation:DescribeStacks "
        "because no identity-based policy allows the cloudformation:DescribeStacks action"
    )


def test_object_operations_moto_authorizes_on_the_bucket_are_not_checked() -> None:
    # DeleteObjects (and browser-form uploads): AWS authorizes each object, which moto does not show here.
    response = SimpleNamespace(data={"Action": "DeleteObject"}, partition="aws")
    assert s3_checks(response, "artifacts", None) == []
