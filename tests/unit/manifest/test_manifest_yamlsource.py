"""Tests of flightdeck.manifest.yamlsource: safe parsing with positions."""

from __future__ import annotations

import datetime

import pytest

from flightdeck.errors import ManifestError
from flightdeck.manifest.yamlsource import Position, format_path, parse_yaml

TEXT = """\
name: demo
items:
  - id: 012
    when: 2024-01-01
  - id: "7"
"""


def test_data_follows_safe_load_with_tuples() -> None:
    source = parse_yaml(TEXT, "m.yaml")
    assert source.data == {
        "name": "demo",
        "items": ({"id": 10, "when": datetime.date(2024, 1, 1)}, {"id": "7"}),
    }


def test_positions_of_keys_and_values() -> None:
    source = parse_yaml(TEXT, "m.yaml")
    assert source.keys[("items", 0, "id")] == Position(3, 5)
    assert source.values[("items", 0, "id")] == Position(3, 9)
    assert source.values[("items", 1)] == Position(5, 5)
    assert source.locate(("items", 1, "id"), at_key=True) == Position(5, 5)


def test_locate_falls_back_to_nearest_ancestor() -> None:
    source = parse_yaml(TEXT, "m.yaml")
    assert source.locate(("items", 1, "missing", 3)) == Position(5, 5)
    assert source.locate(("nothing",)) == Position(1, 1)


def test_plain_text_keeps_the_source_of_non_text_scalars() -> None:
    source = parse_yaml(TEXT, "m.yaml")
    assert source.plain_text[("items", 0, "id")] == "012"
    assert source.plain_text[("items", 0, "when")] == "2024-01-01"
    assert ("items", 1, "id") not in source.plain_text  # quoted
    assert ("name",) not in source.plain_text  # text already


def test_syntax_error_points_at_the_line() -> None:
    with pytest.raises(ManifestError) as info:
        parse_yaml("a: 1\nb: [1, 2\nc: 3\n", "m.yaml")
    [issue] = info.value.issues
    assert (issue.file, issue.line) == ("m.yaml", 3)
    assert issue.message.startswith("YAML syntax error:")


def test_bad_indentation_is_a_syntax_error() -> None:
    with pytest.raises(ManifestError) as info:
        parse_yaml("a:\n  b: 1\n c: 2\n", "m.yaml")
    assert info.value.issues[0].line == 3


def test_more_than_one_document_is_an_error() -> None:
    with pytest.raises(ManifestError, match="single document"):
        parse_yaml("a: 1\n---\nb: 2\n", "m.yaml")


def test_duplicate_key_is_reported_and_the_first_kept() -> None:
    source = parse_yaml("a: 1\nb: 2\na: 3\n", "m.yaml")
    [issue] = source.issues
    assert (issue.line, issue.column, issue.field) == (3, 1, "a")
    assert "duplicate key 'a'" in issue.message
    assert source.data == {"a": 1, "b": 2}


def test_merge_keys_apply_and_explicit_keys_win() -> None:
    text = "x-base: &base {a: 1, b: 2}\nthing:\n  <<: *base\n  b: 3\n"
    source = parse_yaml(text, "m.yaml")
    assert source.issues == []
    assert source.data["thing"] == {"a": 1, "b": 3}
    assert source.locate(("thing", "b")) == Position(4, 6)


def test_unknown_tag_is_reported_and_its_node_marked_broken() -> None:
    source = parse_yaml("a: !Ref Thing\n", "m.yaml")
    [issue] = source.issues
    assert (issue.line, issue.column, issue.field) == (1, 4, "a")
    assert "!Ref" in issue.message
    assert source.is_broken(("a",))
    assert source.is_broken(("a", 0))
    assert not source.is_broken(("b",))


def test_non_text_key_is_reported() -> None:
    source = parse_yaml("on: 1\n", "m.yaml")
    [issue] = source.issues
    assert "key 'on' is not text" in issue.message
    assert source.data == {}


def test_recursive_alias_is_reported() -> None:
    source = parse_yaml("a: &loop [*loop]\n", "m.yaml")
    assert any("recursive alias" in issue.message for issue in source.issues)


def test_empty_document() -> None:
    source = parse_yaml("# nothing\n", "m.yaml")
    assert source.data is None


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("version",), "version"),
        (("environments", 2, "accounts", 0, "id"), "environments[2].accounts[0].id"),
        (("parameters", "LogLevel"), "parameters.LogLevel"),
    ],
)
def test_format_path(path: tuple, text: str) -> None:
    assert format_path(path) == text


def test_control_character_is_an_issue_with_its_position() -> None:
    with pytest.raises(ManifestError) as info:
        parse_yaml("a: 1\nb: x\x1fy\n", "m.yaml")
    [issue] = info.value.issues
    assert (issue.file, issue.line, issue.column) == ("m.yaml", 2, 5)
    assert issue.message == "YAML does not allow the character U+001F here; remove it"
