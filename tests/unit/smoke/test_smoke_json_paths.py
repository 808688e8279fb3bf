"""JSON paths of smoke checks: parsed, followed into an answer, and compared with expected values."""

from __future__ import annotations

import pytest

from flightdeck.checks import (
    JsonPathError,
    failed_expectations,
    failed_json_expectations,
    json_path_value,
    parse_json_path,
    same_json,
)

CONTEXT = {"environment": "dev", "account_id": "111111111111", "region": "eu-west-1", "version": "1.2.3"}
ANSWER = {"status": "ok", "data": {"items": [{"id": 7, "tags": ["a", "b"]}], "count": 1, "next": None}}


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("status", ("status",)),
        ("data.items[0].id", ("data", "items", 0, "id")),
        ("[0]", (0,)),
        ("[0].name", (0, "name")),
        ("data.items[-1]", ("data", "items", -1)),
        ("matrix[1][2]", ("matrix", 1, 2)),
        ("odd key-name", ("odd key-name",)),
    ],
)
def test_parse(path: str, steps: tuple) -> None:
    assert parse_json_path(path) == steps


@pytest.mark.parametrize("path", ["", ".a", "a.", "a..b", "a[x]", "a[0", "a]", "[0]b", "a[]"])
def test_parse_refuses_what_is_not_a_path(path: str) -> None:
    with pytest.raises(ValueError, match=r"is not valid: write keys joined by dots, with \[n\] for list items"):
        parse_json_path(path)


@pytest.mark.parametrize(
    ("path", "value"),
    [("status", "ok"), ("data.items[0].id", 7), ("data.items[0].tags[-1]", "b"), ("data.next", None)],
)
def test_value(path: str, value: object) -> None:
    assert json_path_value(ANSWER, path) == value


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        (ANSWER, "data.total", "data has no key 'total' (its keys: count, items, next)"),
        (ANSWER, "data.items[1]", "data.items has 1 item, no [1]"),
        (ANSWER, "data.items[0].tags[5]", "data.items[0].tags has 2 items, no [5]"),
        (ANSWER, "status.code", "status is text, not an object, so it has no key 'code'"),
        (ANSWER, "data.count[0]", "data.count is a number, not a list, so it has no [0]"),
        (ANSWER, "data.next.id", "data.next is null, not an object, so it has no key 'id'"),
        (ANSWER, "[0]", "the answer is an object, not a list, so it has no [0]"),
        ([], "[0]", "the answer has 0 items, no [0]"),
        ("text", "a", "the answer is text, not an object, so it has no key 'a'"),
    ],
)
def test_a_path_that_leads_nowhere_says_where_it_stopped(document: object, path: str, message: str) -> None:
    with pytest.raises(JsonPathError) as info:
        json_path_value(document, path)
    assert str(info.value) == message


def test_failed_json_expectations() -> None:
    expect = [
        ("data.items[0].id", 7),
        ("status", "ok"),
        ("data.count", 2),
        ("data.items[0].name", "{environment}"),
        ("data.next", None),
    ]
    assert failed_json_expectations(ANSWER, expect, CONTEXT) == [
        "data.count is 1, expected 2",
        "data.items[0].name missing: data.items[0] has no key 'name' (its keys: id, tags); expected 'dev'",
    ]


@pytest.mark.parametrize(
    ("actual", "wanted", "same"),
    [(1, 1.0, True), (True, 1, False), (1, True, False), (False, False, True), (None, None, True), ("1", 1, False)],
)
def test_json_equality_keeps_booleans_apart_from_numbers(actual: object, wanted: object, same: bool) -> None:
    assert same_json(actual, wanted) is same


def test_top_level_fields_compare_as_json_too() -> None:
    assert failed_expectations({"enabled": 1}, [("enabled", True)], CONTEXT) == ["field 'enabled' is 1, expected True"]
