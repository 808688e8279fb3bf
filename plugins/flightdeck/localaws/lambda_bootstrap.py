"""One Lambda invocation in a fresh interpreter: ``python lambda_bootstrap.py SETTINGS_JSON`` (event on stdin).

Standalone on purpose (imports nothing from Flightdeck or moto): it runs the user's handler with the code
directory as working directory and first ``sys.path`` entry, then writes the outcome as JSON to the result file.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The subset of the Python runtime's context object that handlers use.

    :param settings: invocation settings from the emulator (request id, ARN, timeout, memory).
    """

    def __init__(self, settings: dict[str, Any]) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = settings["function_arn"]
        self.memory_limit_in_mb = str(settings["memory_size"])
        self.aws_request_id = settings["request_id"]
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + float(settings["timeout"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(message: str, error_type: str, stack: list[str] | None = None) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": stack or []}


def _invoke(settings: dict[str, Any], event: Any) -> dict[str, Any]:
    handler_name: str = settings["handler"]
    module_name, _, function_name = handler_name.rpartition(".")
    if not module_name:
        return _error(f"Bad handler '{handler_name}': not enough values to unpack", "Runtime.MalformedHandlerName")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except Exception as err:
        return _error(f"Unable to import module '{module_name}': {err}", "Runtime.ImportModuleError")
    handler = getattr(module, function_name, None)
    if not callable(handler):
        return _error(f"Handler '{function_name}' missing on module '{module_name}'", "Runtime.HandlerNotFound")
    try:
        result = handler(event, LambdaContext(settings))
    except Exception as err:
        stack = traceback.format_list(traceback.extract_tb(err.__traceback__)[1:])
        print(f"[ERROR] {type(err).__name__}: {err}\n{''.join(stack)}", file=sys.stderr, flush=True)
        return _error(str(err), type(err).__name__, [line.rstrip() for line in stack])
    try:
        return {"payload": json.dumps(result)}
    except (TypeError, ValueError) as err:
        return _error(f"Unable to marshal response: {err}", "Runtime.MarshalError")


def main() -> int:
    settings = json.loads(sys.argv[1])
    sys.path[0] = os.getcwd()  # the code directory replaces this script's directory
    raw = sys.stdin.buffer.read()
    outcome = _invoke(settings, json.loads(raw) if raw.strip() else {})
    sys.stdout.flush()
    sys.stderr.flush()
    with open(settings["result_path"], "w", encoding="utf-8") as result_file:
        json.dump(outcome, result_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
