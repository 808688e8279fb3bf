"""Tests of flightdeck.naming: every generated name."""

from __future__ import annotations

import re

import pytest

from flightdeck import naming

CHANGE_SET_RE = re.compile(r"[a-zA-Z][-a-zA-Z0-9]*")
SESSION_RE = re.compile(r"[\w+=,.@-]+", re.ASCII)
SCHEDULED_RUN = "scheduled__2025-01-31T00:00:00+00:00"


def test_dag_id() -> None:
    assert naming.dag_id("hello") == "release__hello"


def test_task_and_group_ids() -> None:
    assert (naming.PACKAGE, naming.CREATE_CHANGE_SET, naming.APPROVE) == (
        "package",
        "create_change_set",
        "approve",
    )
    assert (naming.EXECUTE_CHANGE_SET, naming.SMOKE_TEST) == ("execute_change_set", "smoke_test")
    assert (naming.PREPARE_GROUP, naming.DEPLOY_GROUP) == ("prepare", "deploy")


def test_target_label() -> None:
    assert naming.target_label("dev", "111111111111", "eu-west-1") == "dev/111111111111/eu-west-1"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{application}-{environment}", "hello-dev"),
        ("{application}-{environment}-{region}", "hello-dev-eu-west-1"),
        ("app-{account_id}-{region}", "app-111111111111-eu-west-1"),
        ("Fixed", "Fixed"),
    ],
)
def test_stack_name(template: str, expected: str) -> None:
    assert naming.stack_name(template, "hello", "dev", "111111111111", "eu-west-1") == expected


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("{app}", "unknown placeholder {app}"),
        ("{account_id}-x", "not valid"),  # starts with a digit
        ("{application}_{environment}", "not valid"),
        ("{application}" + "x" * 130, "at most 128"),
        ("{application!r}", "plain name"),
        ("{application", "expected '}'"),
    ],
)
def test_stack_name_rejects(template: str, error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        naming.stack_name(template, "hello", "dev", "111111111111", "eu-west-1")


def test_artifact_bucket() -> None:
    assert naming.artifact_bucket("111111111111", "eu-west-1") == "flightdeck-artifacts-111111111111-eu-west-1"


def test_role_arn_from_name() -> None:
    assert naming.role_arn("deploy", "111111111111") == "arn:aws:iam::111111111111:role/deploy"


def test_role_arn_from_template() -> None:
    template = "arn:aws-cn:iam::{account_id}:role/team/deploy"
    assert naming.role_arn(template, "111111111111") == "arn:aws-cn:iam::111111111111:role/team/deploy"


def test_change_set_name_is_valid_readable_and_deterministic() -> None:
    name = naming.change_set_name(SCHEDULED_RUN, "dev/111111111111/eu-west-1")
    assert CHANGE_SET_RE.fullmatch(name)
    assert name.startswith("flightdeck-dev-111111111111-eu-west-1-scheduled-2025-01-31T00-00-00-00-00-")
    assert name == naming.change_set_name(SCHEDULED_RUN, "dev/111111111111/eu-west-1")


def test_change_set_name_differs_per_run_and_target() -> None:
    names = {
        naming.change_set_name(run, label)
        for run in ("manual__1", "manual__2")
        for label in ("dev/111111111111/eu-west-1", "dev/111111111111/us-east-1")
    }
    assert len(names) == 4


def test_change_set_name_is_cut_to_128_without_collisions() -> None:
    long_run = "manual__" + "x" * 300
    first = naming.change_set_name(long_run + "a", "prod/333333333333/eu-west-1")
    second = naming.change_set_name(long_run + "b", "prod/333333333333/eu-west-1")
    assert len(first) <= 128
    assert CHANGE_SET_RE.fullmatch(first)
    assert first != second


def test_change_set_name_of_symbols_only_is_still_valid() -> None:
    name = naming.change_set_name("++", "//")
    assert CHANGE_SET_RE.fullmatch(name)


def test_sts_session_name_fits_and_is_deterministic() -> None:
    name = naming.sts_session_name("release__hello", SCHEDULED_RUN, "111111111111")
    assert len(name) <= 64
    assert SESSION_RE.fullmatch(name)
    assert name.startswith("release__hello.scheduled__2025-01-31T00-00-00+00-00.")
    assert name == naming.sts_session_name("release__hello", SCHEDULED_RUN, "111111111111")


def test_sts_session_name_cut_names_do_not_collide() -> None:
    dag = "release__" + "a" * 40
    names = {
        naming.sts_session_name(dag, run, account)
        for run in ("manual__2025-01-01T00:00:00+00:00", "manual__2025-01-01T00:00:01+00:00")
        for account in ("111111111111", "222222222222")
    }
    assert len(names) == 4
    assert all(len(name) == 64 and SESSION_RE.fullmatch(name) for name in names)


def test_template_placeholders() -> None:
    assert naming.template_placeholders("{a}-{b}{{literal}}") == ["a", "b"]


def test_fill_placeholders_leaves_unknown_ones() -> None:
    values = {"account_id": "111111111111", "region": "eu-west-1"}
    assert (
        naming.fill_placeholders("arn:aws:sns:{region}:{account_id}:t", values)
        == "arn:aws:sns:eu-west-1:111111111111:t"
    )
    assert naming.fill_placeholders("/{application}/{region}/{x", values) == "/{application}/eu-west-1/{x"


def test_task_id() -> None:
    assert naming.task_id("prod", naming.PREPARE_GROUP, naming.PACKAGE) == "prod.prepare.package"
    assert naming.task_id("prod", naming.APPROVE) == "prod.approve"


def test_wave_group() -> None:
    assert naming.wave_group("prod", "all", 1) == "prod"
    assert naming.wave_group("prod", "canary", 2) == "prod.canary"
