"""summarize_changes: template pairs give the right resource changes and flags; the change set wins where it speaks."""

from __future__ import annotations

import copy
import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from changes_samples import (
    LAMBDA_TRUST,
    READ_TABLE,
    bucket,
    function,
    ingress,
    resource_change,
    role,
    security_group,
    table,
    template,
)

from flightdeck.aws.packaging import load_template
from flightdeck.changes import ChangeSummary, FlagKind, summarize_changes

STATEFUL_REMOVED = FlagKind.STATEFUL_REMOVED
STATEFUL_REPLACED = FlagKind.STATEFUL_REPLACED
IAM = FlagKind.IAM_BROADENED
NETWORK = FlagKind.NETWORK_BROADENED

APP = {"Role": role(READ_TABLE), "Function": function(), "Table": table()}
WEB = {"Web": security_group(ingress(443))}
LOG_LEVEL = {"LogLevel": {"Type": "String", "Default": "INFO"}}
DB_PASSWORD = {"DbPassword": {"Type": "String"}}
CIDR = {"AllowedCidr": {"Type": "String"}}


def with_(resources: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``resources`` with resources replaced (a value) or removed (``None``)."""
    result = copy.deepcopy(resources)
    for logical_id, resource in changes.items():
        if resource is None:
            del result[logical_id]
        else:
            result[logical_id] = resource
    return result


def database(password: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::RDS::DBInstance",
        "Properties": {"Engine": "postgres", "DBInstanceClass": "db.t4g.micro", "MasterUserPassword": password},
    }


@dataclass(frozen=True)
class Case:
    """A template pair and what its summary must say.

    :param resources: logical id → (action, replacement) of every resource change.
    :param flags: (kind, logical id) of every flag.
    """

    old: dict[str, Any] | None
    new: dict[str, Any]
    resources: dict[str, tuple[str, str]]
    flags: set[tuple[FlagKind, str]] = field(default_factory=set)
    old_parameters: dict[str, str] = field(default_factory=dict)
    new_parameters: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    old_tags: dict[str, str] = field(default_factory=dict)
    new_tags: dict[str, str] = field(default_factory=dict)
    benign: bool = False

    def summarize(self) -> ChangeSummary:
        return summarize_changes(
            [],  # the local emulator's shallow (here: empty) Changes: the templates must tell everything
            old_template=self.old,
            new_template=self.new,
            old_parameters=self.old_parameters,
            new_parameters=self.new_parameters,
            secret_parameters=self.secrets,
            old_tags=self.old_tags,
            new_tags=self.new_tags,
        )


CASES = {
    "new stack": Case(
        old=None,
        new=template({**APP, **WEB}),
        resources={"Function": ("Add", ""), "Role": ("Add", ""), "Table": ("Add", ""), "Web": ("Add", "")},
        flags={(IAM, "Role"), (NETWORK, "Web")},
    ),
    "add a Lambda": Case(
        old=template(APP),
        new=template(with_(APP, Worker=function())),
        resources={"Worker": ("Add", "")},
    ),
    "modify a Lambda's environment variable": Case(
        old=template(APP),
        new=template(with_(APP, Function=function({"LOG_LEVEL": "DEBUG"}))),
        resources={"Function": ("Modify", "False")},
        benign=True,
    ),
    "rename a DynamoDB table": Case(
        old=template(APP),
        new=template(with_(APP, Table=table("users-v2"))),
        resources={"Table": ("Modify", "True")},
        flags={(STATEFUL_REPLACED, "Table")},
    ),
    "rename a table to a name built with Fn::Sub: may replace": Case(
        old=template(APP),
        new=template(with_(APP, Table=table({"Fn::Sub": "${AWS::StackName}-users"}))),
        resources={"Table": ("Modify", "Conditional")},
        flags={(STATEFUL_REPLACED, "Table")},
    ),
    "remove a bucket": Case(
        old=template(with_(APP, Uploads=bucket())),
        new=template(APP),
        resources={"Uploads": ("Remove", "")},
        flags={(STATEFUL_REMOVED, "Uploads")},
    ),
    "remove a bucket with DeletionPolicy Retain": Case(
        old=template(with_(APP, Uploads=bucket(DeletionPolicy="Retain", UpdateReplacePolicy="Retain"))),
        new=template(APP),
        resources={"Uploads": ("Remove", "")},
        flags={(STATEFUL_REMOVED, "Uploads")},
    ),
    "remove a stateless topic with DeletionPolicy Retain": Case(
        old=template(with_(APP, Topic={"Type": "AWS::SNS::Topic", "DeletionPolicy": "Retain"})),
        new=template(APP),
        resources={"Topic": ("Remove", "")},
        flags={(STATEFUL_REMOVED, "Topic")},
    ),
    "remove a stateless topic": Case(
        old=template(with_(APP, Topic={"Type": "AWS::SNS::Topic"})),
        new=template(APP),
        resources={"Topic": ("Remove", "")},
    ),
    "type change": Case(
        old=template(with_(APP, Jobs={"Type": "AWS::SQS::Queue"})),
        new=template(with_(APP, Jobs={"Type": "AWS::SNS::Topic"})),
        resources={"Jobs": ("Modify", "True")},
        flags={(STATEFUL_REPLACED, "Jobs")},
    ),
    "new IAM role": Case(
        old=template(APP),
        new=template(with_(APP, AuditRole=role(trust=(LAMBDA_TRUST,)))),
        resources={"AuditRole": ("Add", "")},
        flags={(IAM, "AuditRole")},
    ),
    "role policy action widened to '*'": Case(
        old=template(APP),
        new=template(with_(APP, Role=role({**READ_TABLE, "Action": "*"}))),
        resources={"Role": ("Modify", "False")},
        flags={(IAM, "Role")},
    ),
    "trust policy principal added": Case(
        old=template(APP),
        new=template(
            with_(
                APP,
                Role=role(
                    READ_TABLE, trust=({**LAMBDA_TRUST, "Principal": {"AWS": "arn:aws:iam::999999999999:root"}},)
                ),
            )
        ),
        resources={"Role": ("Modify", "False")},
        flags={(IAM, "Role")},
    ),
    "permission removed": Case(
        old=template(APP),
        new=template(with_(APP, Role=role({**READ_TABLE, "Action": "dynamodb:GetItem"}))),
        resources={"Role": ("Modify", "False")},
        benign=True,
    ),
    "managed policy attached": Case(
        old=template(APP),
        new=template(
            with_(
                APP,
                Role={
                    **role(READ_TABLE),
                    "Properties": {
                        **role(READ_TABLE)["Properties"],
                        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                    },
                },
            )
        ),
        resources={"Role": ("Modify", "False")},
        flags={(IAM, "Role")},
    ),
    "bucket policy that only denies is not a broadening": Case(
        old=template(with_(APP, Uploads=bucket())),
        new=template(
            with_(
                APP,
                Uploads=bucket(),
                UploadsPolicy={
                    "Type": "AWS::S3::BucketPolicy",
                    "Properties": {
                        "Bucket": {"Ref": "Uploads"},
                        "PolicyDocument": {
                            "Statement": {
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": "*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        },
                    },
                },
            )
        ),
        resources={"UploadsPolicy": ("Add", "")},
    ),
    "Lambda permission added": Case(
        old=template(APP),
        new=template(
            with_(
                APP,
                Invoke={
                    "Type": "AWS::Lambda::Permission",
                    "Properties": {
                        "Action": "lambda:InvokeFunction",
                        "FunctionName": {"Ref": "Function"},
                        "Principal": "s3.amazonaws.com",
                    },
                },
            )
        ),
        resources={"Invoke": ("Add", "")},
        flags={(IAM, "Invoke")},
    ),
    "security-group ingress from 0.0.0.0/0 added": Case(
        old=template(WEB),
        new=template({"Web": security_group(ingress(443), ingress(22, "0.0.0.0/0"))}),
        resources={"Web": ("Modify", "False")},
        flags={(NETWORK, "Web")},
    ),
    "security-group port range widened": Case(
        old=template(WEB),
        new=template({"Web": security_group(ingress(443, to=8443))}),
        resources={"Web": ("Modify", "False")},
        flags={(NETWORK, "Web")},
    ),
    "security-group rule removed": Case(
        old=template({"Web": security_group(ingress(443), ingress(80))}),
        new=template(WEB),
        resources={"Web": ("Modify", "False")},
        benign=True,
    ),
    "security-group rule moved to its own resource": Case(
        old=template(WEB),
        new=template(
            {
                "Web": security_group(),
                "WebHttps": {
                    "Type": "AWS::EC2::SecurityGroupIngress",
                    "Properties": {"GroupId": {"Fn::GetAtt": ["Web", "GroupId"]}, **ingress(443)},
                },
            }
        ),
        resources={"Web": ("Modify", "False"), "WebHttps": ("Add", "")},
    ),
    "parameter-only change": Case(
        old=template(with_(APP, Function=function({"LOG_LEVEL": {"Ref": "LogLevel"}})), LOG_LEVEL),
        new=template(with_(APP, Function=function({"LOG_LEVEL": {"Ref": "LogLevel"}})), LOG_LEVEL),
        old_parameters={"LogLevel": "INFO"},
        new_parameters={"LogLevel": "DEBUG"},
        resources={"Function": ("Modify", "False")},
        benign=True,
    ),
    "parameter-only change that renames a table": Case(
        old=template(with_(APP, Table=table({"Ref": "TableName"})), {"TableName": {"Type": "String"}}),
        new=template(with_(APP, Table=table({"Ref": "TableName"})), {"TableName": {"Type": "String"}}),
        old_parameters={"TableName": "users"},
        new_parameters={"TableName": "customers"},
        resources={"Table": ("Modify", "True")},
        flags={(STATEFUL_REPLACED, "Table")},
    ),
    "parameter-only change that opens ingress to the internet": Case(
        old=template({"Web": security_group(ingress(443, {"Ref": "AllowedCidr"}))}, CIDR),
        new=template({"Web": security_group(ingress(443, {"Ref": "AllowedCidr"}))}, CIDR),
        old_parameters={"AllowedCidr": "10.0.0.0/8"},
        new_parameters={"AllowedCidr": "0.0.0.0/0"},
        resources={"Web": ("Modify", "False")},
        flags={(NETWORK, "Web")},
    ),
    "secret parameter change": Case(
        old=template({"Db": database({"Ref": "DbPassword"})}, DB_PASSWORD),
        new=template({"Db": database({"Ref": "DbPassword"})}, DB_PASSWORD),
        old_parameters={"DbPassword": "hunter2-old"},
        new_parameters={"DbPassword": "hunter2-new"},
        secrets=("DbPassword",),
        resources={"Db": ("Modify", "False")},
        benign=True,
    ),
    "NoEcho parameter change": Case(
        old=template({"Db": database({"Ref": "DbPassword"})}, {"DbPassword": {"Type": "String", "NoEcho": True}}),
        new=template({"Db": database({"Ref": "DbPassword"})}, {"DbPassword": {"Type": "String", "NoEcho": "true"}}),
        old_parameters={"DbPassword": "hunter2-old"},
        new_parameters={"DbPassword": "hunter2-new"},
        resources={"Db": ("Modify", "False")},
        benign=True,
    ),
    "tag change": Case(
        old=template(APP),
        new=template(APP),
        old_tags={"team": "web", "cost-centre": "42"},
        new_tags={"team": "payments", "cost-centre": "42"},
        resources={},
        benign=True,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_template_pair_gives_changes_and_flags(case: Case) -> None:
    summary = case.summarize()

    assert {r.logical_id: (r.action, r.replacement) for r in summary.resources} == case.resources
    assert {(flag.kind, flag.logical_id) for flag in summary.flags} == case.flags
    assert all(r.source == "template" for r in summary.resources)
    for flag in summary.flags:
        assert f"`{flag.logical_id}`" in flag.message
        assert flag.resource_type in flag.message
    assert summary.needs_person is bool(case.flags)
    assert summary.is_benign is case.benign


def test_messages_say_what_is_at_stake() -> None:
    messages = {
        name: " ".join(flag.message for flag in CASES[name].summarize().flags)
        for name in (
            "rename a DynamoDB table",
            "remove a bucket with DeletionPolicy Retain",
            "type change",
            "role policy action widened to '*'",
            "trust policy principal added",
            "security-group ingress from 0.0.0.0/0 added",
            "security-group port range widened",
        )
    }
    assert "is replaced (TableName changed)" in messages["rename a DynamoDB table"]
    assert "DeletionPolicy Retain keeps the resource" in messages["remove a bucket with DeletionPolicy Retain"]
    assert "(AWS::SQS::Queue) is replaced (its type changes to AWS::SNS::Topic)" in messages["type change"]
    assert "'*' introduced in Action" in messages["role policy action widened to '*'"]
    assert "trust policy: Principal adds arn:aws:iam::999999999999:root" in messages["trust policy principal added"]
    assert (
        "tcp 22 from 0.0.0.0/0 (anywhere: open to the internet)"
        in messages["security-group ingress from 0.0.0.0/0 added"]
    )
    assert "ingress widened from tcp 443 to tcp 443-8443" in messages["security-group port range widened"]


def test_changed_properties_are_named() -> None:
    summary = CASES["modify a Lambda's environment variable"].summarize()
    assert summary.resources[0].properties == ("Environment",)
    type_change = CASES["type change"].summarize().resources[0]
    assert (type_change.previous_type, type_change.resource_type) == ("AWS::SQS::Queue", "AWS::SNS::Topic")


@pytest.mark.parametrize("name", ["secret parameter change", "NoEcho parameter change"])
def test_secret_values_appear_nowhere(name: str) -> None:
    from flightdeck.changes import TargetReview, review_markdown

    summary = CASES[name].summarize()
    (parameter,) = summary.parameters
    assert (parameter.name, parameter.before, parameter.after, parameter.secret) == (
        "DbPassword",
        "(secret)",
        "(secret changed)",
        True,
    )
    assert summary.resources[0].properties == ("MasterUserPassword",)
    review = TargetReview("dev/1/eu-west-1", "app-dev", "arn:cs", "cs", "UPDATE", summary)
    shown = [
        json.dumps(summary.to_dict()),
        summary.headline(),
        review_markdown([review], version="1.0", triggered_by="ana", approvers=["bo"], run_link="https://x"),
    ]
    assert not [text for text in shown if "hunter2" in text]


def test_secret_version_marker_is_shown_but_a_value_given_as_version_is_not() -> None:
    case = CASES["secret parameter change"]
    kwargs = {
        "old_template": case.old,
        "new_template": case.new,
        "old_parameters": case.old_parameters,
        "new_parameters": case.new_parameters,
        "secret_parameters": case.secrets,
    }
    marked = summarize_changes([], **kwargs, parameter_versions={"DbPassword": "secretsmanager:db@v-2"})
    assert marked.parameters[0].version == "secretsmanager:db@v-2"
    mistaken = summarize_changes([], **kwargs, parameter_versions={"DbPassword": "hunter2-new"})
    assert mistaken.parameters[0].version == ""
    assert "hunter2" not in json.dumps(mistaken.to_dict())


def test_parameter_and_tag_changes_are_listed() -> None:
    summary = CASES["parameter-only change"].summarize()
    assert [(p.name, p.before, p.after, p.secret) for p in summary.parameters] == [("LogLevel", "INFO", "DEBUG", False)]
    tags = CASES["tag change"].summarize()
    assert [(t.key, t.before, t.after) for t in tags.tags] == [("team", "web", "payments")]
    assert not tags.is_empty
    assert tags.headline() == "+0 ~0 -0, 1 tag"


def test_unchanged_templates_give_an_empty_summary() -> None:
    summary = summarize_changes(
        [], old_template=template(APP), new_template=template(APP), old_parameters={"A": "1"}, new_parameters={"A": "1"}
    )
    assert summary == ChangeSummary()
    assert summary.is_empty
    assert summary.is_benign


def test_output_changes_make_a_summary_non_empty() -> None:
    old = template(APP, Outputs={"TableName": {"Value": {"Ref": "Table"}}})
    new = template(APP, Outputs={"TableArn": {"Value": {"Fn::GetAtt": ["Table", "Arn"]}}})
    summary = summarize_changes([], old_template=old, new_template=new)
    assert summary.outputs == ("TableArn", "TableName")
    assert summary.is_benign
    assert not summary.is_empty


def test_change_set_replacement_wins_over_template_inference() -> None:
    instance = {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-1", "InstanceType": "t3.micro"}}
    db = database("x")
    old = template({"Server": instance, "Db": db})
    new = template(
        {
            "Server": {**instance, "Properties": {**instance["Properties"], "ImageId": "ami-2"}},
            "Db": {**db, "Properties": {**db["Properties"], "Engine": "mysql"}},
        }
    )
    changes = [
        # AWS knows an instance's ImageId replaces it; the template table does not list EC2 instances.
        resource_change(
            "Modify",
            "Server",
            "AWS::EC2::Instance",
            replacement="True",
            details=(("Properties", "ImageId", "Always"), ("Tags", "", "Never")),
        ),
        # The table says Engine replaces a DB instance; AWS says it depends.
        resource_change(
            "Modify",
            "Db",
            "AWS::RDS::DBInstance",
            replacement="Conditional",
            details=(("Properties", "Engine", "Conditionally"),),
        ),
    ]

    summary = summarize_changes(changes, old_template=old, new_template=new)

    server, db_change = summary.resources[1], summary.resources[0]
    assert (server.logical_id, server.replacement, server.source, server.properties) == (
        "Server",
        "True",
        "both",
        ("ImageId", "Tags"),
    )
    assert (db_change.logical_id, db_change.replacement, db_change.source) == ("Db", "Conditional", "both")
    (flag,) = summary.flags
    assert (flag.kind, flag.logical_id) == (STATEFUL_REPLACED, "Db")
    assert "may be replaced" in flag.message
    assert summary.headline() == "+0 ~2 -0, 1 replacement, 1 possible replacement, stateful resource replaced"


def test_change_set_false_replacement_clears_a_template_guess() -> None:
    old, new = template(APP), template(with_(APP, Table=table("users-v2")))
    changes = [resource_change("Modify", "Table", "AWS::DynamoDB::Table", replacement="False")]
    summary = summarize_changes(changes, old_template=old, new_template=new)
    assert [(r.replacement, r.source) for r in summary.resources] == [("False", "both")]
    assert summary.flags == ()


def test_change_set_only_changes_are_kept_and_their_action_wins() -> None:
    changes = [
        resource_change("Import", "Legacy", "AWS::S3::Bucket"),
        resource_change("Dynamic", "Function", "AWS::Lambda::Function"),
        {"Type": "HookInvocation", "HookInvocation": {"HookType": "x"}},
    ]
    new = template(with_(APP, Legacy=bucket()))
    summary = summarize_changes(changes, old_template=template(APP), new_template=new)
    assert [(r.logical_id, r.action, r.source, r.replacement) for r in summary.resources] == [
        ("Function", "Dynamic", "change-set", ""),
        ("Legacy", "Import", "both", ""),
    ]
    assert summary.headline() == "+0 ~0 -0, 1 import, 1 dynamic"
    assert not summary.is_benign


def test_modify_with_unknown_replacement_is_not_benign() -> None:
    changes = [resource_change("Modify", "Function", "AWS::Lambda::Function")]
    summary = summarize_changes(changes, old_template=template(APP), new_template=template(APP))
    assert [(r.action, r.replacement, r.source) for r in summary.resources] == [("Modify", "", "change-set")]
    assert not summary.is_benign
    assert not summary.needs_person


def test_yaml_short_tags_from_load_template(tmp_path: Path) -> None:
    """Templates as the packager loads them: ``!Ref``/``!Sub`` long-formed, parameters filled in."""
    text = """
        Parameters:
          Env: {Type: String}
        Resources:
          Role:
            Type: AWS::IAM::Role
            Properties:
              AssumeRolePolicyDocument:
                Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
              Policies:
                - PolicyName: app
                  PolicyDocument:
                    Statement:
                      - Effect: Allow
                        Action: s3:GetObject
                        Resource: !Sub arn:aws:s3:::app-${Env}/*
    """
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    loaded = load_template(path)

    same = summarize_changes(
        [], old_template=loaded, new_template=loaded, old_parameters={"Env": "dev"}, new_parameters={"Env": "dev"}
    )
    moved = summarize_changes(
        [], old_template=loaded, new_template=loaded, old_parameters={"Env": "dev"}, new_parameters={"Env": "prod"}
    )

    assert same.is_empty
    assert [(f.kind, f.logical_id) for f in moved.flags] == [(IAM, "Role")]
    assert "Resource adds arn:aws:s3:::app-prod/*" in moved.flags[0].message
