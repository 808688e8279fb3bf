"""Policy documents compare statement by statement: more access is a widening, less is not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flightdeck.changes.iam import broadenings
from flightdeck.changes.policies import parse_document, widenings


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "arn:aws:s3:::app/*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


GET = allow("s3:GetObject")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(doc(GET), doc(allow(["s3:GetObject"], ["arn:aws:s3:::app/*"])), id="string vs list"),
        pytest.param(doc(GET), doc(allow("S3:getobject")), id="action case"),
        pytest.param(doc(GET), {"Statement": GET}, id="single statement, no list"),
        pytest.param(doc(GET), json.dumps(doc(GET)), id="JSON text"),
        pytest.param(doc(allow("s3:Get*")), doc(GET), id="narrowed to a covered action"),
        pytest.param(doc(allow("s3:GetObject", "*")), doc(GET), id="narrowed resource"),
        pytest.param(doc(GET, allow("s3:PutObject")), doc(GET), id="statement removed"),
        pytest.param(
            doc(GET),
            doc(allow("s3:GetObject", Condition={"Bool": {"aws:SecureTransport": "true"}})),
            id="condition added",
        ),
        pytest.param(doc(GET), doc(GET, deny("s3:DeleteObject")), id="deny added"),
        pytest.param(doc(GET, deny("s3:Delete*")), doc(GET, deny("s3:*")), id="deny widened"),
        pytest.param(doc(GET), doc(GET, {**GET, "Sid": "Again"}), id="duplicate statement"),
        pytest.param(
            doc({**GET, "Principal": {"AWS": "111111111111"}}),
            doc({**GET, "Principal": {"AWS": "arn:aws:iam::111111111111:root"}}),
            id="account id vs root ARN",
        ),
        pytest.param(doc(GET), None, id="policy removed"),
    ],
)
def test_not_a_widening(old: Any, new: Any) -> None:
    assert widenings(old, new) == []


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (doc(GET), doc(allow("*")), "'*' introduced in Action"),
        (doc(GET), doc(allow("s3:GetObject", "*")), "'*' introduced in Resource"),
        (doc(GET), doc(allow(["s3:GetObject", "s3:PutObject"])), "Action adds s3:PutObject"),
        (doc(GET), doc(allow("s3:*")), "Action adds s3:*"),
        (doc(GET), doc(GET, allow("s3:GetObject", "arn:aws:s3:::other/*")), "Resource adds arn:aws:s3:::other/*"),
        (
            doc({**GET, "Principal": {"Service": "lambda.amazonaws.com"}}),
            doc({**GET, "Principal": {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]}}),
            "Principal adds ec2.amazonaws.com",
        ),
        (
            doc({**GET, "Principal": {"AWS": "111111111111"}}),
            doc({**GET, "Principal": "*"}),
            "'*' introduced in Principal",
        ),
        (
            doc(allow("s3:GetObject", Condition={"Bool": {"aws:SecureTransport": "true"}})),
            doc(GET),
            "without the condition it had",
        ),
        (doc(GET, deny("s3:DeleteObject")), doc(GET), "Deny of s3:DeleteObject on * removed or narrowed"),
        (doc(GET, deny("s3:*")), doc(GET, deny("s3:Delete*")), "Deny of s3:* on * removed or narrowed"),
        (None, doc(GET), "allows s3:GetObject on arn:aws:s3:::app/*"),
        (
            doc(allow("s3:GetObject", "arn:aws:s3:::a/*"), allow("s3:PutObject", "arn:aws:s3:::b/*")),
            doc(allow("s3:PutObject", "arn:aws:s3:::a/*")),
            "which no previous statement allowed",
        ),
        (doc(GET), {"Fn::If": ["Prod", doc(GET), doc(allow("*"))]}, "cannot be compared statement by statement"),
        (doc(GET), doc(GET, {"Fn::If": ["Prod", allow("*"), {"Ref": "AWS::NoValue"}]}), "intrinsic functions"),
    ],
)
def test_widening(old: Any, new: Any, reason: str) -> None:
    reasons = widenings(old, new)
    assert len(reasons) == 1
    assert reason in reasons[0]


def test_unreadable_documents_that_stay_the_same_are_not_a_widening() -> None:
    opaque = {"Fn::If": ["Prod", doc(GET), doc(allow("*"))]}
    assert parse_document(opaque) is None
    assert widenings(opaque, json.loads(json.dumps(opaque))) == []


def test_intrinsic_resources_compare_by_value() -> None:
    table_arn = {"Fn::GetAtt": ["Table", "Arn"]}
    assert widenings(doc(allow("dynamodb:GetItem", table_arn)), doc(allow("dynamodb:GetItem", [table_arn]))) == []
    reasons = widenings(doc(allow("dynamodb:GetItem", table_arn)), doc(allow("dynamodb:GetItem", {"Ref": "Other"})))
    assert reasons == ["Resource adds !Ref Other"]


def role(**properties: Any) -> dict[str, Any]:
    trust = doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust, **properties}}


def inline(name: str, *statements: dict[str, Any]) -> dict[str, Any]:
    return {"PolicyName": name, "PolicyDocument": doc(*statements)}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            None, role(), ["new IAM role", "trust policy: allows sts:AssumeRole to lambda.amazonaws.com"], id="new role"
        ),
        pytest.param(
            role(Policies=[inline("a", GET)]), role(Policies=[inline("b", GET)]), [], id="inline policy renamed"
        ),
        pytest.param(
            role(Policies=[inline("a", GET), inline("b", allow("s3:PutObject"))]),
            role(Policies=[inline("a", GET, allow("s3:PutObject"))]),
            [],
            id="statement moved between inline policies",
        ),
        pytest.param(
            role(ManagedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
            role(
                ManagedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/PowerUserAccess"]
            ),
            ["ManagedPolicyArns adds arn:aws:iam::aws:policy/PowerUserAccess"],
            id="managed policy attached",
        ),
        pytest.param(
            role(ManagedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"]), role(), [], id="managed policy detached"
        ),
        pytest.param(
            role(PermissionsBoundary="arn:aws:iam::111111111111:policy/boundary"),
            role(),
            ["permissions boundary removed"],
            id="boundary removed",
        ),
        pytest.param(
            {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": doc(GET, deny("s3:DeleteBucket"))}},
            None,
            ["policy: Deny of s3:DeleteBucket on * removed or narrowed"],
            id="deny policy deleted",
        ),
        pytest.param(
            {
                "Type": "AWS::KMS::Key",
                "Properties": {"KeyPolicy": doc({**allow("kms:*", "*"), "Principal": {"AWS": "111111111111"}})},
            },
            {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": doc({**allow("kms:*", "*"), "Principal": {"AWS": ["111111111111", "222222222222"]}})
                },
            },
            ["key policy: Principal adds arn:aws:iam::222222222222:root"],
            id="key policy principal added",
        ),
        pytest.param(
            {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"Principal": "s3.amazonaws.com", "SourceArn": "arn:aws:s3:::app"},
            },
            {"Type": "AWS::Lambda::Permission", "Properties": {"Principal": "s3.amazonaws.com"}},
            ["SourceArn removed"],
            id="Lambda permission loses its source",
        ),
        pytest.param(
            {"Type": "AWS::Lambda::Permission", "Properties": {"Principal": "s3.amazonaws.com"}},
            {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"Principal": "s3.amazonaws.com", "SourceArn": "arn:aws:s3:::app"},
            },
            [],
            id="Lambda permission gains a source",
        ),
        pytest.param(
            {"Type": "AWS::S3::Bucket", "Properties": {"PublicAccessBlockConfiguration": {"BlockPublicPolicy": True}}},
            {"Type": "AWS::S3::Bucket", "Properties": {"PublicAccessBlockConfiguration": {"BlockPublicPolicy": False}}},
            ["public access block relaxed (BlockPublicPolicy no longer true)"],
            id="public access block relaxed",
        ),
        pytest.param(
            role(PermissionsBoundary="arn:aws:iam::111111111111:policy/boundary", ManagedPolicyArns=["arn:x"]),
            None,
            [],
            id="role removed",
        ),
        pytest.param(
            {"Type": "AWS::Lambda::Permission", "Properties": {"Principal": "s3.amazonaws.com", "SourceArn": "arn:s3"}},
            None,
            [],
            id="Lambda permission removed",
        ),
        pytest.param(
            {"Type": "AWS::S3::Bucket", "Properties": {"PublicAccessBlockConfiguration": {"BlockPublicPolicy": True}}},
            None,
            [],
            id="locked bucket removed",
        ),
        pytest.param(
            {"Type": "AWS::SQS::Queue", "Properties": {}},
            {"Type": "AWS::IAM::Role", "Properties": {}},
            ["new IAM role"],
            id="type changes to a role",
        ),
    ],
)
def test_resource_broadenings(before: dict[str, Any] | None, after: dict[str, Any] | None, expected: list[str]) -> None:
    assert broadenings(before, after) == expected
