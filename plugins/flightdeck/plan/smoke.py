"""The smoke checks of a release plan: one frozen model per kind, read back from JSON by ``SmokeCheck.from_dict``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

ExpectValue = str | int | float | bool | None


@dataclass(frozen=True, kw_only=True)
class SmokeCheck:
    """Base of the checks run against each deployed stack.

    :param name: check name, unique in the plan.
    :param outputs: stack outputs that must exist.
    """

    kind: ClassVar[str] = ""
    name: str
    outputs: tuple[str, ...] = ()

    @property
    def required_outputs(self) -> tuple[str, ...]:
        """Every stack output the check reads or requires, without repeats: its own first, then ``outputs``."""
        return tuple(dict.fromkeys((*self._reads(), *self.outputs)))

    def _reads(self) -> tuple[str, ...]:
        return ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict: ``name``, ``kind``, the kind's own keys, ``outputs``."""
        return {"name": self.name, "kind": self.kind, **self._own_dict(), "outputs": list(self.outputs)}

    def _own_dict(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SmokeCheck:
        """The inverse of :meth:`to_dict`, for any kind.

        :raises ValueError: for an unknown ``kind``.
        """
        kinds = {kind.kind: kind for kind in (LambdaCheck, HttpCheck, ExpectationsCheck)}
        if data.get("kind") not in kinds:
            raise ValueError(f"unknown smoke check kind {data.get('kind')!r}; known: {', '.join(sorted(kinds))}")
        return kinds[data["kind"]]._from_dict(data)

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> SmokeCheck:
        fields = {key: value for key, value in data.items() if key not in ("kind", "outputs")}
        return cls(**fields, outputs=tuple(data["outputs"]))


@dataclass(frozen=True, kw_only=True)
class LambdaCheck(SmokeCheck):
    """Invoke a function of the stack and compare top-level fields of its JSON answer.

    :param function_output: stack output holding the function name or ARN.
    :param payload_json: the request, compact JSON with sorted keys.
    :param expect: answer field → expected value, sorted by field; text may hold ``{environment}``,
        ``{account_id}``, ``{region}``, ``{version}``.
    """

    kind: ClassVar[str] = "lambda"
    function_output: str
    payload_json: str = "{}"
    expect: tuple[tuple[str, ExpectValue], ...] = ()

    def _reads(self) -> tuple[str, ...]:
        return (self.function_output,)

    def _own_dict(self) -> dict[str, Any]:
        return {"function_output": self.function_output, "payload_json": self.payload_json, "expect": dict(self.expect)}

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> LambdaCheck:
        return cls(
            name=data["name"],
            function_output=data["function_output"],
            payload_json=data["payload_json"],
            expect=tuple(sorted(data["expect"].items())),
            outputs=tuple(data["outputs"]),
        )


@dataclass(frozen=True, kw_only=True)
class HttpCheck(SmokeCheck):
    """Send an HTTP request to a URL of the stack; check status, values at JSON paths and latency.

    :param url_output: stack output holding the base URL.
    :param path: appended to the URL ("" for none).
    :param method: ``GET`` or ``POST``.
    :param body_json: the JSON body, compact with sorted keys ("" for none).
    :param expect_status: the HTTP status expected.
    :param expect_json: JSON path → expected value, sorted by path; text may hold placeholders as in
        :class:`LambdaCheck`.
    :param max_latency_ms: the answer must arrive within this many milliseconds; None for no limit.
    :param timeout_ms: give up waiting for the server after this many milliseconds.
    """

    kind: ClassVar[str] = "http"
    url_output: str
    path: str = ""
    method: str = "GET"
    body_json: str = ""
    expect_status: int = 200
    expect_json: tuple[tuple[str, ExpectValue], ...] = ()
    max_latency_ms: int | None = None
    timeout_ms: int = 10_000

    def _reads(self) -> tuple[str, ...]:
        return (self.url_output,)

    def _own_dict(self) -> dict[str, Any]:
        return {
            "url_output": self.url_output,
            "path": self.path,
            "method": self.method,
            "body_json": self.body_json,
            "expect_status": self.expect_status,
            "expect_json": dict(self.expect_json),
            "max_latency_ms": self.max_latency_ms,
            "timeout_ms": self.timeout_ms,
        }

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> HttpCheck:
        fields = {key: value for key, value in data.items() if key not in ("kind", "outputs", "expect_json")}
        return cls(**fields, expect_json=tuple(sorted(data["expect_json"].items())), outputs=tuple(data["outputs"]))


@dataclass(frozen=True, kw_only=True)
class ExpectationsCheck(SmokeCheck):
    """Validate rows read from the stack with a Great Expectations suite.

    The rows come from invoking a function: the list at ``records`` in its JSON answer, or the whole answer as one
    row.

    :param suite: the suite file as the manifest names it (relative to the manifest).
    :param suite_json: the suite, compact JSON with sorted keys: what runs.
    :param function_output: stack output holding the function name or ARN.
    :param payload_json: the request, compact JSON with sorted keys.
    :param records: JSON path to the list of rows in the answer; "" for the whole answer as one row.
    """

    kind: ClassVar[str] = "expectations"
    suite: str
    suite_json: str
    function_output: str
    payload_json: str = "{}"
    records: str = ""

    def _reads(self) -> tuple[str, ...]:
        return (self.function_output,)

    def _own_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "suite_json": self.suite_json,
            "function_output": self.function_output,
            "payload_json": self.payload_json,
            "records": self.records,
        }
