"""Invoke Lambda functions (the smoke tests of a deployed release)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from flightdeck.aws.session import AccountSession
from flightdeck.errors import DeploymentError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invocation:
    """The answer of one synchronous invocation.

    :param status_code: HTTP status of the invocation (200 when the function ran).
    :param function_error: ``Handled`` / ``Unhandled`` when the function raised, else ``None``.
    :param payload: the function's answer, decoded from JSON (the raw text if it is not JSON).
    """

    status_code: int
    function_error: str | None
    payload: Any

    @property
    def ok(self) -> bool:
        return self.function_error is None and 200 <= self.status_code < 300


def invoke_function(session: AccountSession, function_name: str, payload: Mapping[str, Any]) -> Invocation:
    """Invoke ``function_name`` synchronously with a JSON payload (``lambda:Invoke``, no log tail)."""
    try:
        response = session.client("lambda").invoke(
            FunctionName=function_name,
            InvocationType="RequestResponse",
            Payload=json.dumps(dict(payload)).encode(),
        )
    except ClientError as err:
        raise DeploymentError(
            f"Cannot invoke function {function_name}",
            account=session.account_id,
            region=session.region,
            reason=err.response.get("Error", {}).get("Message", str(err)),
        ) from err
    text = response["Payload"].read().decode("utf-8", errors="replace")
    try:
        answer = json.loads(text) if text else None
    except ValueError:
        answer = text
    invocation = Invocation(
        status_code=response["StatusCode"], function_error=response.get("FunctionError"), payload=answer
    )
    log.info("Invoked %s: status %s, error %s", function_name, invocation.status_code, invocation.function_error)
    return invocation
