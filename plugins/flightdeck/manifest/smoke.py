"""Smoke tests of a manifest: checks of each deployed stack's behaviour, one model per ``type``."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from flightdeck.manifest.fields import (
    ApplicationName,
    ExpectValue,
    JsonExpectValue,
    JsonObject,
    JsonPathText,
    LogicalName,
    ShortDuration,
    StrictModel,
    invalid,
    matching,
    parse_milliseconds,
    unique,
)
from flightdeck.manifest.suites import read_suite

# (path below the smoke test, output name) of each stack output a smoke test reads
OutputReference = tuple[tuple[str | int, ...], str]
UrlPath = Annotated[
    str, matching(r"/[!-~]*", "path", "it starts with / (like /health or /items?limit=1) and has no spaces")
]
Outputs = Annotated[tuple[LogicalName, ...], unique("output")]


class LambdaSmokeTest(StrictModel):
    """Invoke a function of the deployed stack and compare its JSON answer.

    :param name: lowercase name, unique in the manifest.
    :param type: ``lambda``.
    :param function_output: stack output holding the function name or ARN.
    :param payload: JSON object sent to the function.
    :param expect: top-level answer field → expected value; text may use ``{environment}``, ``{account_id}``,
        ``{region}`` and ``{version}``.
    :param outputs: stack outputs that must exist.
    """

    name: ApplicationName
    type: Literal["lambda"]
    function_output: LogicalName
    payload: JsonObject = {}
    expect: dict[Annotated[str, Field(min_length=1)], ExpectValue] = {}
    outputs: Outputs = ()

    def output_references(self) -> tuple[OutputReference, ...]:
        """The stack outputs this test reads, each with its path below the test."""
        return (("function_output",), self.function_output), *_listed(self.outputs)


class HttpSmokeTest(StrictModel):
    """Send an HTTP request to a URL of the deployed stack and check the answer's status, JSON and latency.

    :param name: lowercase name, unique in the manifest.
    :param type: ``http``.
    :param url_output: stack output holding the base URL (``https://...``).
    :param path: appended to the URL, starting with ``/`` (may hold a query string).
    :param method: ``GET`` (default) or ``POST``.
    :param body: JSON object sent with a ``POST``.
    :param expect_status: the HTTP status expected (default 200).
    :param expect_json: JSON path (``data.items[0].id``) → expected value in the answer; text may use
        ``{environment}``, ``{account_id}``, ``{region}`` and ``{version}``.
    :param max_latency: the answer must arrive within this (``500ms``, ``2s``).
    :param timeout: give up waiting for the server after this (default ``10s``; at most ``15m``).
    :param outputs: stack outputs that must exist.
    """

    name: ApplicationName
    type: Literal["http"]
    url_output: LogicalName
    path: UrlPath = ""
    method: Literal["GET", "POST"] = "GET"
    body: JsonObject | None = None
    expect_status: Annotated[int, Field(ge=100, le=599)] = 200
    expect_json: dict[JsonPathText, JsonExpectValue] = {}
    max_latency: ShortDuration | None = None
    timeout: ShortDuration = "10s"
    outputs: Outputs = ()

    @model_validator(mode="after")
    def _consistent(self) -> HttpSmokeTest:
        if self.body is not None and self.method == "GET":
            raise invalid("a GET request has no body: set method: POST to send one, or remove body", "body")
        if self.max_latency is not None and self.max_latency_ms > self.timeout_ms:
            raise invalid(
                f"max_latency {self.max_latency} is longer than timeout {self.timeout}, so the request would give up "
                "first: raise timeout, or lower max_latency",
                "max_latency",
            )
        return self

    @property
    def max_latency_ms(self) -> int | None:
        """The latency limit in milliseconds, None for none."""
        return parse_milliseconds(self.max_latency) if self.max_latency is not None else None

    @property
    def timeout_ms(self) -> int:
        """The timeout in milliseconds."""
        return parse_milliseconds(self.timeout)

    def output_references(self) -> tuple[OutputReference, ...]:
        """The stack outputs this test reads, each with its path below the test."""
        return (("url_output",), self.url_output), *_listed(self.outputs)


class LambdaRecords(StrictModel):
    """Rows read by invoking a function of the deployed stack: its JSON answer, or a list in it.

    :param from: ``lambda``.
    :param function_output: stack output holding the function name or ARN.
    :param payload: JSON object sent to the function.
    :param records: JSON path (``items``, ``data.rows``) to the list of objects that become the rows; without it,
        the whole answer is one row.
    """

    source: Literal["lambda"] = Field(alias="from")
    function_output: LogicalName
    payload: JsonObject = {}
    records: JsonPathText | None = None


class ExpectationsSmokeTest(StrictModel):
    """Validate data read from the deployed stack with a Great Expectations suite.

    :param name: lowercase name, unique in the manifest.
    :param type: ``expectations``.
    :param suite: Great Expectations (1.x) suite JSON file, relative to the manifest; text in its expectations'
        arguments may use ``{environment}``, ``{account_id}``, ``{region}`` and ``{version}``.
    :param data: where the rows come from.
    :param outputs: stack outputs that must exist.
    """

    name: ApplicationName
    type: Literal["expectations"]
    suite: Annotated[str, Field(min_length=1)]
    data: LambdaRecords
    outputs: Outputs = ()

    _suite_json: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _read_suite(self, info: ValidationInfo) -> ExpectationsSmokeTest:
        document = read_suite(self.suite, (info.context or {}).get("base_dir"))
        self._suite_json = json.dumps(document, sort_keys=True, separators=(",", ":"))
        return self

    @property
    def suite_json(self) -> str:
        """The suite as compact JSON with sorted keys."""
        return self._suite_json

    def output_references(self) -> tuple[OutputReference, ...]:
        """The stack outputs this test reads, each with its path below the test."""
        return (("data", "function_output"), self.data.function_output), *_listed(self.outputs)


def _listed(outputs: tuple[str, ...]) -> tuple[OutputReference, ...]:
    return tuple((("outputs", index), name) for index, name in enumerate(outputs))


SmokeTest = Annotated[LambdaSmokeTest | HttpSmokeTest | ExpectationsSmokeTest, Field(discriminator="type")]
