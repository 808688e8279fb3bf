"""Tests of waves: which targets each holds, and every rule with its message and location."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from manifest_samples import BASE

from flightdeck.errors import ManifestIssue
from flightdeck.manifest import Wave, assign_waves, load_manifest

IssueOf = Callable[[str], ManifestIssue]
IssuesOf = Callable[[str], list[ManifestIssue]]

# Environment dev: 111111111111/eu-west-1, 222222222222/eu-west-1, 222222222222/us-east-1; waves start at line 19.
TWO_ACCOUNTS = BASE + '      - id: "222222222222"\n        regions: [eu-west-1, us-east-1]\n'
TARGETS = (("111111111111", "eu-west-1"), ("222222222222", "eu-west-1"), ("222222222222", "us-east-1"))


def waves(*lines: str) -> str:
    return TWO_ACCOUNTS + "    waves:\n" + "".join(f"      - {line}\n" for line in lines)


def test_waves_split_the_targets(write_manifest) -> None:
    text = waves(
        '{name: canary, targets: ["222222222222/us-east-1"], bake_time: 1h}',
        '{name: rest, targets: ["*"], max_concurrent: 2, failure_tolerance: "25%"}',
    )
    env = load_manifest(write_manifest(text)).environments[0]
    assignments, problems = assign_waves(env.waves, env.static_targets, selectors=False, at=())
    assert problems == []
    assert [(a.wave.name, a.targets) for a in assignments] == [
        ("canary", (("222222222222", "us-east-1"),)),
        ("rest", (("111111111111", "eu-west-1"), ("222222222222", "eu-west-1"))),
    ]
    canary, rest = env.waves
    assert (canary.bake_time_seconds, canary.failure_tolerance_count, canary.failure_tolerance_percent) == (
        3600,
        0,
        None,
    )
    assert (rest.max_concurrent, rest.failure_tolerance_count, rest.failure_tolerance_percent) == (2, None, 25)


def test_an_account_stands_for_all_its_regions(write_manifest) -> None:
    text = waves('{name: first, targets: ["222222222222"]}', '{name: second, targets: ["111111111111"]}')
    env = load_manifest(write_manifest(text)).environments[0]
    assignments, _ = assign_waves(env.waves, env.static_targets, selectors=False, at=())
    assert [a.targets for a in assignments] == [TARGETS[1:], TARGETS[:1]]


def test_without_waves_one_wave_all_holds_every_target() -> None:
    [assignment], problems = assign_waves(None, TARGETS, selectors=False, at=())
    assert (assignment.wave.name, assignment.targets, problems) == ("all", TARGETS, [])
    assert (assignment.wave.max_concurrent, assignment.wave.failure_tolerance, assignment.wave.bake_time_seconds) == (
        None,
        0,
        0,
    )


def test_unknown_account_suggests_the_closest(issue_of: IssueOf) -> None:
    issue = issue_of(waves('{name: a, targets: ["111111111112", "*"]}'))
    assert (issue.line, issue.column, issue.field) == (20, 29, "environments[0].waves[0].targets[0]")
    assert issue.message == "'111111111112' is not a target of this environment; did you mean '111111111111'?"


def test_region_the_account_does_not_deploy_to(issue_of: IssueOf) -> None:
    issue = issue_of(waves('{name: a, targets: ["*", "222222222222/eu-west-2"]}'))
    assert (issue.line, issue.field) == (20, "environments[0].waves[0].targets[1]")
    assert issue.message == (
        "account 222222222222 is not deployed to eu-west-2 in this environment (only to eu-west-1, us-east-1); "
        "did you mean 'eu-west-1'?"
    )


def test_target_in_two_waves(issue_of: IssueOf) -> None:
    issue = issue_of(
        waves('{name: a, targets: ["222222222222"]}', '{name: b, targets: ["222222222222/us-east-1", "*"]}')
    )
    assert (issue.line, issue.column, issue.field) == (21, 29, "environments[0].waves[1].targets[0]")
    assert issue.message == (
        "222222222222/us-east-1 is already in wave 'a' (environments[0].waves[0].targets[0]); a target deploys in "
        "one wave"
    )


def test_target_twice_in_one_wave(issue_of: IssueOf) -> None:
    issue = issue_of(waves('{name: a, targets: ["*", "111111111111", "111111111111/eu-west-1"]}'))
    assert issue.field == "environments[0].waves[0].targets[2]"
    assert issue.message.startswith(
        "111111111111/eu-west-1 is already in this wave (environments[0].waves[0].targets[1])"
    )


def test_targets_in_no_wave(issues_of: IssuesOf) -> None:
    issues = issues_of(waves('{name: a, targets: ["111111111111"]}'))
    assert [(issue.line, issue.column, issue.field) for issue in issues] == [(19, 5, "environments[0].waves")] * 2
    assert [issue.message for issue in issues] == [
        'target 222222222222/eu-west-1 is in no wave: add "222222222222/eu-west-1" (or "222222222222") to a wave, '
        'or end with a wave of "*"',
        'target 222222222222/us-east-1 is in no wave: add "222222222222/us-east-1" (or "222222222222") to a wave, '
        'or end with a wave of "*"',
    ]


def test_every_other_only_in_the_last_wave(issue_of: IssueOf) -> None:
    issue = issue_of(waves('{name: a, targets: ["*"]}', '{name: b, targets: ["111111111111"]}'))
    assert (issue.line, issue.field) == (20, "environments[0].waves[0].targets[0]")
    assert issue.message == '"*" (every target not in an earlier wave) is allowed only in the last wave'


def test_empty_wave(issue_of: IssueOf) -> None:
    issue = issue_of(waves('{name: a, targets: ["*"]}', "{name: b, targets: []}"))
    assert (issue.line, issue.field) == (21, "environments[0].waves[1].targets")
    assert issue.message == "must not be empty: list at least one entry"


def test_last_wave_left_with_nothing(issue_of: IssueOf) -> None:
    issue = issue_of(waves('{name: a, targets: ["111111111111", "222222222222"]}', '{name: b, targets: ["*"]}'))
    assert (issue.line, issue.field) == (21, "environments[0].waves[1].targets")
    assert issue.message == "wave 'b' has no target left: every target is in an earlier wave; remove this wave"


def test_last_wave_may_wait_for_selected_accounts(write_manifest) -> None:
    selector = "      - organizations: {ou_path: /Root/Apps}\n        regions: [eu-west-1]\n"
    text = waves('{name: a, targets: ["111111111111", "222222222222"]}', '{name: b, targets: ["*"]}')
    text = text.replace("    waves:\n", selector + "    waves:\n")
    text += 'organizations: {management_account: "999999999999"}\n'
    assert [wave.name for wave in load_manifest(write_manifest(text)).environments[0].waves] == ["a", "b"]


def test_duplicate_wave_names(issue_of: IssueOf) -> None:
    issue = issue_of(waves('{name: a, targets: ["111111111111"]}', '{name: a, targets: ["*"]}'))
    assert (issue.line, issue.field) == (21, "environments[0].waves[1]")
    assert "duplicate wave name 'a'" in issue.message


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ('["eu-west-1"]', "wave target 'eu-west-1' is not valid: write an account id (\"111111111111\"), an account"),
        ("[111111111111]", 'YAML reads the unquoted 111111111111 as a number; quote it: "111111111111"'),
    ],
)
def test_wave_target_shape(issue_of: IssueOf, targets: str, message: str) -> None:
    issue = issue_of(waves(f"{{name: a, targets: {targets}}}"))
    assert (issue.line, issue.field) == (20, "environments[0].waves[0].targets[0]")
    assert message in issue.message


@pytest.mark.parametrize(
    ("wave", "field", "message"),
    [
        ('{name: a, targets: ["*"], failure_tolerance: -1}', "failure_tolerance", "cannot be negative: 0 means the"),
        ('{name: a, targets: ["*"], failure_tolerance: "110%"}', "failure_tolerance", "'110%' is not valid: write a"),
        ('{name: a, targets: ["*"], failure_tolerance: 1.5}', "failure_tolerance", 'like "10%", not 1.5'),
        ('{name: a, targets: ["*"], max_concurrent: 0}', "max_concurrent", "0 is too small: the least allowed is 1"),
        ('{name: a, targets: ["*"], bake_time: 10}', "bake_time", "expected text, got a number"),
        ('{name: a, targets: ["*"], bake_time: 1w}', "bake_time", "duration '1w' is not valid"),
        ('{name: Canary, targets: ["*"]}', "name", "name 'Canary' is not valid: a lowercase letter"),
    ],
)
def test_wave_settings(issue_of: IssueOf, wave: str, field: str, message: str) -> None:
    issue = issue_of(waves(wave))
    assert (issue.line, issue.field) == (20, f"environments[0].waves[0].{field}")
    assert message in issue.message


def test_wave_model_defaults() -> None:
    wave = Wave(name="w", targets=("*",))
    assert (
        wave.max_concurrent,
        wave.failure_tolerance_count,
        wave.failure_tolerance_percent,
        wave.bake_time_seconds,
    ) == (
        None,
        0,
        None,
        0,
    )
