"""Smoke-check expectations: placeholders, missing and different fields, missing outputs."""

from __future__ import annotations

from flightdeck.checks import expected_value, failed_expectations, missing_outputs

CONTEXT = {"environment": "dev", "account_id": "111111111111", "region": "eu-west-1", "version": "1.2.3"}


def test_placeholders_are_filled_in_strings_only() -> None:
    assert expected_value("{environment}@{version}", CONTEXT) == "dev@1.2.3"
    assert expected_value(True, CONTEXT) is True
    assert expected_value(3, CONTEXT) == 3


def test_matching_answer_has_no_failures() -> None:
    answer = {"status": "ok", "version": "1.2.3", "token_configured": True, "extra": 1}
    expect = [("status", "ok"), ("version", "{version}"), ("token_configured", True)]
    assert failed_expectations(answer, expect, CONTEXT) == []


def test_each_wrong_or_missing_field_is_reported() -> None:
    problems = failed_expectations({"status": "error"}, [("status", "ok"), ("version", "{version}")], CONTEXT)
    assert problems == [
        "field 'status' is 'error', expected 'ok'",
        "field 'version' missing (expected '1.2.3')",
    ]


def test_non_object_answer_is_reported() -> None:
    assert failed_expectations(["ok"], [("status", "ok")], CONTEXT) == ["expected a JSON object, got list: ['ok']"]


def test_missing_outputs() -> None:
    assert missing_outputs({"FunctionName": "f"}, ["FunctionName", "ApiMessage"]) == [
        "stack output 'ApiMessage' missing"
    ]
