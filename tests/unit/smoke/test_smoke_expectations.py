"""Expectations checks: rows taken from an answer, placeholders in a suite, and Great Expectations run for real.

Importing Great Expectations takes several seconds: only the tests marked below load it (once for the module).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flightdeck.smoke.expectations import fill_placeholders, rows_of, validate_rows

ROOT = Path(__file__).resolve().parents[3]
GREETING_SUITE = json.loads((ROOT / "include" / "apps" / "hello" / "expectations" / "greeting.json").read_text())
PLACEHOLDERS = {"environment": "dev", "account_id": "111111111111", "region": "eu-west-1", "version": "1.2.3"}
GREETING = {
    "status": "ok",
    "message": "Hello from dev, flightdeck",
    "version": "1.2.3",
    "environment": "dev",
    "token_configured": True,
    "token_sha256_prefix": "0123abcd",
}


def test_the_whole_answer_is_one_row() -> None:
    assert rows_of(GREETING, "") == ([GREETING], [])


def test_rows_from_a_list_in_the_answer() -> None:
    answer = {"data": {"rows": [{"id": 1}, {"id": 2}]}}
    assert rows_of(answer, "data.rows") == ([{"id": 1}, {"id": 2}], [])


@pytest.mark.parametrize(
    ("answer", "records", "problem"),
    [
        ([1, 2], "", "the answer is a list, not an object: set data.records to the JSON path of its rows"),
        ({"rows": 3}, "rows", "records rows is a number, not a list of objects"),
        ({"rows": [{"a": 1}, "b"]}, "rows", "records rows[1] is text, not an object (a row)"),
        ({"data": {}}, "data.rows", "records data.rows missing: data has no key 'rows' (its keys: none)"),
    ],
)
def test_rows_that_are_not_there(answer: object, records: str, problem: str) -> None:
    assert rows_of(answer, records) == ([], [problem])


def test_placeholders_are_filled_in_arguments_and_regular_expressions_keep_their_braces() -> None:
    suite = fill_placeholders(GREETING_SUITE, PLACEHOLDERS)
    arguments = [item["kwargs"] for item in suite["expectations"]]
    assert {"column": "environment", "value_set": ["dev"]} in arguments
    assert {"column": "message", "regex": r"^\S.* from dev, flightdeck$"} in arguments
    assert {"column": "token_sha256_prefix", "regex": "^[0-9a-f]{8}$"} in arguments
    assert GREETING_SUITE["expectations"][3]["kwargs"]["value_set"] == ["{environment}"]  # the input is unchanged


def test_parsing_the_dag_file_loads_neither_great_expectations_nor_pandas() -> None:
    code = "import sys, flightdeck.pipeline; print(sorted({'great_expectations', 'pandas'} & set(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert loaded.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def import_seconds() -> float:
    """Run a first suite, which imports Great Expectations, measuring how long it takes (shown with -s)."""
    started = time.perf_counter()
    validate_rows({"name": "warm-up", "expectations": GREETING_SUITE["expectations"][:1]}, [GREETING])
    return time.perf_counter() - started


def test_the_example_suite_passes_on_the_example_answer(import_seconds: float) -> None:
    problems, results = validate_rows(fill_placeholders(GREETING_SUITE, PLACEHOLDERS), [GREETING])
    assert problems == []
    assert [result["type"] for result in results] == [item["type"] for item in GREETING_SUITE["expectations"]]
    assert all(result["success"] for result in results)
    assert results[1] == {
        "type": "expect_column_values_to_be_in_set",
        "column": "status",
        "success": True,
        "unexpected_count": 0,
        "element_count": 1,
    }
    assert results[0]["observed_value"] == 1
    print(f"Great Expectations imported and first run in {import_seconds:.1f}s")


def test_a_failing_suite_reports_unexpected_counts_in_suite_order(import_seconds: float) -> None:
    rows = [
        GREETING,
        {**GREETING, "status": "error", "version": None, "token_configured": False, "environment": "tampered"},
        {**GREETING, "status": "degraded", "message": "nope"},
    ]
    problems, results = validate_rows(fill_placeholders(GREETING_SUITE, PLACEHOLDERS), rows)
    assert problems == [
        "expect_table_row_count_to_equal: observed 3",
        "expect_column_values_to_be_in_set (status): 2 of 3 rows unexpected, e.g. ['error', 'degraded']",
        "expect_column_values_to_not_be_null (version): 1 of 3 rows unexpected, e.g. [None]",
        "expect_column_values_to_be_in_set (environment): 1 of 3 rows unexpected, e.g. ['tampered']",
        "expect_column_values_to_match_regex (message): 1 of 3 rows unexpected, e.g. ['nope']",
        "expect_column_values_to_be_in_set (token_configured): 1 of 3 rows unexpected, e.g. [False]",
    ]
    by_column = {result.get("column"): result for result in results}
    assert (by_column["status"]["success"], by_column["status"]["unexpected_count"]) == (False, 2)
    assert by_column["token_sha256_prefix"]["success"] is True
    json.dumps(results, allow_nan=False)  # JSON-safe: an XCom


def test_unusable_expectations_and_missing_columns_are_problems(import_seconds: float) -> None:
    suite = {
        "name": "broken",
        "expectations": [
            {"type": "expect_column_values_to_be_in_sett", "kwargs": {"column": "status", "value_set": ["ok"]}},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "colour"}},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"colum": "status"}},
        ],
    }
    problems, results = validate_rows(suite, [GREETING])
    assert [result["success"] for result in results] == [False, False, False]
    assert problems[0] == (
        "expect_column_values_to_be_in_sett could not be checked: expect_column_values_to_be_in_sett not found"
    )
    assert problems[1] == (
        'expect_column_values_to_not_be_null (colour) could not be checked: Error: The column "colour" in BatchData '
        "does not exist."
    )
    assert problems[2].startswith("expect_column_values_to_not_be_null could not be checked: ")
    assert "column" in problems[2]
