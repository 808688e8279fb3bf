"""Smoke checks that validate rows read from the deployed stack with a Great Expectations suite.

Great Expectations and pandas are imported only inside :func:`validate_rows`: parsing the DAG file must not load
them (importing Great Expectations takes several seconds).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from typing import Any

from flightdeck import naming
from flightdeck.aws.session import AccountSession
from flightdeck.checks import JsonPathError, json_kind, json_path_value
from flightdeck.plan import ExpectationsCheck
from flightdeck.smoke.lambda_check import call_function

Outcome = tuple[list[str], dict[str, Any]]  # problems, details
INDEX_KEY = "flightdeck_index"  # added to each expectation's meta: results come back in another order
_EXAMPLES = 3  # unexpected values shown in a problem


def run_expectations_check(
    session: AccountSession, check: ExpectationsCheck, function_name: str, placeholders: Mapping[str, str]
) -> Outcome:
    """Invoke the function, take the rows from its answer, and validate them with the check's suite."""
    answer, problems, details = call_function(session, function_name, check.payload_json)
    if problems:
        return problems, details
    rows, problems = rows_of(answer, check.records)
    if problems:
        return problems, details
    suite = fill_placeholders(json.loads(check.suite_json), placeholders)
    problems, results = validate_rows(suite, rows)
    details.update(suite=suite["name"], rows=len(rows), expectations=results)
    return problems, details


def rows_of(answer: Any, records: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows to validate: the list of objects at the JSON path ``records``, or the whole answer as one row."""
    if not records:
        if isinstance(answer, dict):
            return [answer], []
        return [], [f"the answer is {json_kind(answer)}, not an object: set data.records to the JSON path of its rows"]
    try:
        value = json_path_value(answer, records)
    except JsonPathError as err:
        return [], [f"records {records} missing: {err}"]
    if not isinstance(value, list):
        return [], [f"records {records} is {json_kind(value)}, not a list of objects"]
    for index, row in enumerate(value):
        if not isinstance(row, dict):
            return [], [f"records {records}[{index}] is {json_kind(row)}, not an object (a row)"]
    return value, []


def fill_placeholders(suite: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """The suite with ``{environment}``, ``{account_id}``, ``{region}``, ``{version}`` filled in every text of its
    expectations' arguments; other braces (regular expressions) stay as they are."""

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return naming.fill_placeholders(value, values)
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return value

    expectations = [{**item, "kwargs": fill(item.get("kwargs", {}))} for item in suite["expectations"]]
    return {**suite, "expectations": expectations}


def validate_rows(suite: Mapping[str, Any], rows: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Validate ``rows`` with the suite in an ephemeral Great Expectations context.

    Returns the problems and one result per expectation, in suite order: ``type``, ``column`` (when it has one),
    ``success``, and when Great Expectations reports them ``unexpected_count``, ``element_count``,
    ``observed_value``, ``unexpected_examples`` and ``exception``.
    """
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # not its INFO lines in every task log
    import great_expectations as gx
    import pandas as pd
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.exceptions import GreatExpectationsError
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    by_index: dict[int, dict[str, Any]] = {}
    built = []
    for index, item in enumerate(suite["expectations"]):
        settings = {key: value for key, value in item.items() if key != "meta"}
        try:
            configuration = ExpectationConfiguration(**settings, meta={**item.get("meta", {}), INDEX_KEY: index})
            built.append(configuration.to_domain_obj())
        except (GreatExpectationsError, ValueError, TypeError) as err:  # an unknown type, wrong arguments
            by_index[index] = {"type": item["type"], "success": False, "exception": _one_line(err)}
    if built:
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            progress_bars=ProgressBarsConfig(globally=False),
            analytics_enabled=False,
        )
        context = gx.get_context(mode="ephemeral", project_config=config)
        asset = context.data_sources.add_pandas("smoke").add_dataframe_asset("rows")
        batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": pd.DataFrame(rows)}
        )
        validation = batch.validate(gx.ExpectationSuite(name=suite["name"], expectations=built))
        by_index.update(_result(outcome) for outcome in validation.results)
    results = [by_index[index] for index in sorted(by_index)]
    return [_problem(result) for result in results if not result["success"]], results


def _result(outcome: Any) -> tuple[int, dict[str, Any]]:
    """The index of an expectation's result in the suite, and what it found."""
    config = outcome.expectation_config
    measured = outcome.result or {}
    result: dict[str, Any] = {"type": config.type}
    if "column" in config.kwargs:
        result["column"] = config.kwargs["column"]
    result["success"] = bool(outcome.success)
    for key in ("unexpected_count", "element_count", "observed_value"):
        if key in measured:
            result[key] = _plain(measured[key])
    if measured.get("partial_unexpected_list"):
        result["unexpected_examples"] = _plain(measured["partial_unexpected_list"][:_EXAMPLES])
    exception = _exception(outcome.exception_info or {})
    if exception:
        result["exception"] = exception
    return config.meta[INDEX_KEY], result


def _problem(result: Mapping[str, Any]) -> str:
    what = result["type"] + (f" ({result['column']})" if "column" in result else "")
    if "exception" in result:
        return f"{what} could not be checked: {result['exception']}"
    if "unexpected_count" in result:
        examples = f", e.g. {result['unexpected_examples']}" if result.get("unexpected_examples") else ""
        of = f" of {result['element_count']}" if "element_count" in result else ""
        return f"{what}: {result['unexpected_count']}{of} rows unexpected{examples}"
    if "observed_value" in result:
        return f"{what}: observed {result['observed_value']!r}"
    return f"{what}: failed"


def _exception(info: Mapping[str, Any]) -> str:
    """The message of an exception Great Expectations caught: flat, or one per metric it could not compute."""
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "")
    messages = [
        str(value.get("exception_message"))
        for value in info.values()
        if isinstance(value, Mapping) and value.get("raised_exception")
    ]
    return "; ".join(dict.fromkeys(messages))


def _plain(value: Any) -> Any:
    """A JSON-safe copy: NaN becomes null, numpy numbers become Python numbers, anything else unknown text."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return str(value)


def _one_line(err: Exception) -> str:
    return "; ".join(line.strip() for line in str(err).splitlines() if line.strip())
