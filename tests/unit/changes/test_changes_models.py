"""ChangeSummary: JSON round trip, headline, benign rule, fingerprint, and how auto_approve reads it."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest

from flightdeck.changes import (
    SECRET_CHANGED,
    SECRET_MASK,
    ChangeSummary,
    Flag,
    FlagKind,
    ParameterChange,
    ResourceChange,
    TagChange,
    auto_approves,
    fingerprint,
)

TEMPLATE_SHA = "a" * 64
PARAMETERS_SHA = "b" * 64

FULL = ChangeSummary(
    resources=(
        ResourceChange("Add", "Queue", "AWS::SQS::Queue"),
        ResourceChange("Modify", "Function", "AWS::Lambda::Function", "False", "both", ("Environment", "Timeout")),
        ResourceChange("Modify", "Jobs", "AWS::SNS::Topic", "True", "template", (), previous_type="AWS::SQS::Queue"),
        ResourceChange("Modify", "Table", "AWS::DynamoDB::Table", "Conditional", "change-set", ("TableName",)),
        ResourceChange("Remove", "Old", "AWS::S3::Bucket"),
    ),
    parameters=(
        ParameterChange("DbPassword", SECRET_MASK, SECRET_CHANGED, secret=True, version="secretsmanager:db@v2"),
        ParameterChange("LogLevel", "INFO", "DEBUG"),
        ParameterChange("New", None, "1"),
    ),
    tags=(TagChange("team", "web", "payments"), TagChange("gone", "x", None)),
    outputs=("TableArn",),
    flags=(
        Flag(FlagKind.STATEFUL_REMOVED, "Old", "AWS::S3::Bucket", "`Old` (AWS::S3::Bucket) is deleted."),
        Flag(FlagKind.STATEFUL_REPLACED, "Jobs", "AWS::SQS::Queue", "`Jobs` (AWS::SQS::Queue) is replaced."),
        Flag(FlagKind.IAM_BROADENED, "Role", "AWS::IAM::Role", "`Role` (AWS::IAM::Role): new IAM role."),
    ),
)


def test_round_trip_through_json() -> None:
    data = json.loads(json.dumps(FULL.to_dict()))
    assert ChangeSummary.from_dict(data) == FULL
    assert ChangeSummary.from_dict(data).to_dict() == FULL.to_dict()
    assert data["flags"][0]["kind"] == "stateful-removed"
    assert data["resources"][1]["properties"] == ["Environment", "Timeout"]


def test_headline() -> None:
    assert FULL.headline() == (
        "+1 ~3 -1, 1 replacement, 1 possible replacement, 3 parameters, 2 tags, 1 output, "
        "stateful resource removed, stateful resource replaced, IAM broadened"
    )
    assert ChangeSummary().headline() == "no changes"


@pytest.mark.parametrize(
    ("resources", "flags", "empty", "benign"),
    [
        ((), (), True, True),
        ((ResourceChange("Modify", "F", "AWS::Lambda::Function", "False"),), (), False, True),
        ((ResourceChange("Modify", "F", "AWS::Lambda::Function", ""),), (), False, False),
        ((ResourceChange("Modify", "F", "AWS::Lambda::Function", "Conditional"),), (), False, False),
        ((ResourceChange("Modify", "F", "AWS::Lambda::Function", "True"),), (), False, False),
        ((ResourceChange("Add", "F", "AWS::Lambda::Function"),), (), False, False),
        ((ResourceChange("Remove", "T", "AWS::SNS::Topic"),), (), False, False),
        ((ResourceChange("Import", "B", "AWS::S3::Bucket"),), (), False, False),
        (
            (ResourceChange("Modify", "R", "AWS::IAM::Role", "False"),),
            (Flag(FlagKind.IAM_BROADENED, "R", "AWS::IAM::Role", "`R` widened"),),
            False,
            False,
        ),
    ],
)
def test_empty_and_benign(
    resources: tuple[ResourceChange, ...], flags: tuple[Flag, ...], empty: bool, benign: bool
) -> None:
    summary = ChangeSummary(resources=resources, flags=flags)
    assert (summary.is_empty, summary.is_benign, summary.needs_person) == (empty, benign, bool(flags))


def test_parameter_and_tag_changes_alone_are_benign() -> None:
    summary = ChangeSummary(parameters=(ParameterChange("A", "1", "2"),), tags=(TagChange("t", None, "x"),))
    assert not summary.is_empty
    assert summary.is_benign


def test_a_secret_parameter_refuses_values() -> None:
    with pytest.raises(ValueError, match="must carry masks"):
        ParameterChange("DbPassword", "hunter2", SECRET_CHANGED, secret=True)
    with pytest.raises(ValueError, match="must carry masks"):
        ChangeSummary.from_dict(
            {"parameters": [{"name": "P", "before": None, "after": "hunter2", "secret": True, "version": ""}]}
        )


def test_unknown_flag_kind_is_refused() -> None:
    data = FULL.to_dict()
    data["flags"][0]["kind"] = "cosmic-rays"
    with pytest.raises(ValueError, match="cosmic-rays"):
        ChangeSummary.from_dict(data)


def test_fingerprint_is_stable_across_round_trips_and_orderings() -> None:
    expected = fingerprint(TEMPLATE_SHA, PARAMETERS_SHA, FULL)
    data = json.loads(json.dumps(FULL.to_dict()))
    shuffled = {key: list(reversed(value)) for key, value in reversed(list(data.items()))}
    rng = random.Random(7)
    for items in shuffled.values():
        rng.shuffle(items)
    shuffled["resources"] = [dict(reversed(list(item.items()))) for item in shuffled["resources"]]

    assert len(expected) == 64
    assert set(expected) <= set("0123456789abcdef")
    assert fingerprint(TEMPLATE_SHA, PARAMETERS_SHA, ChangeSummary.from_dict(data)) == expected
    assert fingerprint(TEMPLATE_SHA, PARAMETERS_SHA, ChangeSummary.from_dict(shuffled)) == expected


@pytest.mark.parametrize(
    ("template_sha", "parameters_sha", "summary"),
    [
        pytest.param("c" * 64, PARAMETERS_SHA, FULL, id="template"),
        pytest.param(TEMPLATE_SHA, "c" * 64, FULL, id="parameters"),
        pytest.param(TEMPLATE_SHA, PARAMETERS_SHA, dataclasses.replace(FULL, flags=FULL.flags[1:]), id="a flag fewer"),
        pytest.param(
            TEMPLATE_SHA,
            PARAMETERS_SHA,
            dataclasses.replace(
                FULL, resources=(dataclasses.replace(FULL.resources[0], replacement="True"), *FULL.resources[1:])
            ),
            id="replacement",
        ),
        pytest.param(
            TEMPLATE_SHA,
            PARAMETERS_SHA,
            dataclasses.replace(FULL, tags=(TagChange("team", "web", "data"), FULL.tags[1])),
            id="tag value",
        ),
        pytest.param(TEMPLATE_SHA, PARAMETERS_SHA, ChangeSummary(), id="empty summary"),
    ],
)
def test_fingerprint_changes_with_any_input(template_sha: str, parameters_sha: str, summary: ChangeSummary) -> None:
    assert fingerprint(template_sha, parameters_sha, summary) != fingerprint(TEMPLATE_SHA, PARAMETERS_SHA, FULL)


BENIGN = ChangeSummary(resources=(ResourceChange("Modify", "F", "AWS::Lambda::Function", "False"),))
RISKY = ChangeSummary(
    resources=(ResourceChange("Modify", "T", "AWS::DynamoDB::Table", "True"),),
    flags=(Flag(FlagKind.STATEFUL_REPLACED, "T", "AWS::DynamoDB::Table", "`T` replaced"),),
)


@pytest.mark.parametrize(
    ("mode", "summaries", "passes"),
    [
        ("never", [ChangeSummary()], False),
        ("empty", [ChangeSummary(), ChangeSummary()], True),
        ("empty", [ChangeSummary(), BENIGN], False),
        ("benign", [ChangeSummary(), BENIGN], True),
        ("benign", [BENIGN, RISKY], False),
        ("benign", [], True),
    ],
)
def test_auto_approves(mode: str, summaries: list[ChangeSummary], passes: bool) -> None:
    assert auto_approves(mode, summaries) is passes


def test_auto_approves_refuses_unknown_modes() -> None:
    with pytest.raises(ValueError, match="never, empty or benign"):
        auto_approves("always", [ChangeSummary()])
