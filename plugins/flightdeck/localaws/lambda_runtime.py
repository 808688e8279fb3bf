"""``lambda.invoke`` runs the deployed Python handler in a local subprocess (no Docker), as the function's account."""

from __future__ import annotations

import atexit
import base64
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

from moto.awslambda.models import LambdaBackend, LambdaFunction, lambda_backends
from moto.sts.models import sts_backends

from flightdeck.localaws.fixes import on_reset

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
_FUNCTION_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:")
_LOG_TAIL_BYTES = 4096


class _Cache:
    """Extracted code (one directory per CodeSha256) and role credentials, shared by request threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.root: Path | None = None
        self.credentials: dict[tuple[str, str], dict[str, str]] = {}


_cache = _Cache()


def endpoint_url() -> str:
    """Where handlers reach the emulator (set by the entry point once the server listens)."""
    return os.environ.get("FLIGHTDECK_LOCALAWS_URL") or f"http://127.0.0.1:{os.environ.get('MOTO_PORT', '5000')}"


def code_directory(function: LambdaFunction) -> Path:
    """The function's code, extracted once per CodeSha256."""
    key = base64.b64decode(function.code_sha_256).hex()
    with _cache.lock:
        if _cache.root is None:
            _cache.root = Path(tempfile.mkdtemp(prefix="flightdeck-lambda-code-"))
        target = _cache.root / key
        if not target.is_dir():
            staging = Path(tempfile.mkdtemp(dir=_cache.root, prefix=".staging-"))
            with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
                archive.extractall(staging)
            staging.rename(target)
    return target


def credentials(function: LambdaFunction) -> dict[str, str]:
    """Credentials of the function's execution role, valid in the function's account on this emulator."""
    key = (function.account_id, function.role)
    with _cache.lock:
        if key not in _cache.credentials:
            role = sts_backends[function.account_id][function.partition].assume_role(
                region_name=function.region,
                role_session_name=function.function_name[:64],
                role_arn=function.role,
                policy="",
                duration=43200,
                external_id="",
            )
            _cache.credentials[key] = {
                "AWS_ACCESS_KEY_ID": role.access_key_id,
                "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
                "AWS_SESSION_TOKEN": role.session_token,
            }
        return dict(_cache.credentials[key])


def clear() -> None:
    """Forget extracted code and credentials (moto's reset invalidates the access keys)."""
    with _cache.lock:
        _cache.credentials.clear()
        if _cache.root is not None:
            shutil.rmtree(_cache.root, ignore_errors=True)
            _cache.root = None


def environment(function: LambdaFunction, code_dir: Path) -> dict[str, str]:
    """The handler's environment: the function's variables, then the runtime's reserved ones."""
    env = {key: str(value) for key, value in (function.environment_vars or {}).items()}
    env.update(
        PATH=os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        LANG="C.UTF-8",
        TZ=":UTC",
        AWS_REGION=function.region,
        AWS_DEFAULT_REGION=function.region,
        AWS_LAMBDA_FUNCTION_NAME=function.function_name,
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(function.memory_size),
        AWS_LAMBDA_LOG_GROUP_NAME=function.logs_group_name,
        AWS_EXECUTION_ENV=f"AWS_Lambda_{function.run_time}",
        LAMBDA_TASK_ROOT=str(code_dir),
        _HANDLER=str(function.handler),
        AWS_ENDPOINT_URL=endpoint_url(),
        # Never the developer's ~/.aws files: the handler sees only what Lambda would give it.
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        **credentials(function),
    )
    return env


def _error(message: str, error_type: str, request_id: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": []}


def run_handler(function: LambdaFunction, event: bytes) -> tuple[bytes, str | None, str]:
    """Run one invocation; returns (payload, FunctionError or None, log text)."""
    request_id = str(uuid.uuid4())
    runtime = str(function.run_time or "")
    if function.package_type != "Zip" or not runtime.startswith("python"):
        problem = f"Runtime {runtime or function.package_type} is not supported by the local emulator (Python zip only)"
        return (
            json.dumps(_error(problem, "Runtime.InvalidRuntime", request_id)).encode(),
            "Unhandled",
            problem,
        )
    code_dir = code_directory(function)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="flightdeck-lambda-run-") as scratch:
        result_path = Path(scratch) / "result.json"
        settings = {
            "handler": function.handler,
            "result_path": str(result_path),
            "request_id": request_id,
            "function_arn": function.function_arn,
            "timeout": function.timeout,
            "memory_size": function.memory_size,
        }
        process = subprocess.Popen(
            [sys.executable, str(BOOTSTRAP), json.dumps(settings)],
            cwd=code_dir,
            env=environment(function, code_dir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout kills whatever the handler started
        )
        try:
            output, _ = process.communicate(event, timeout=float(function.timeout))
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            timed_out = True
        outcome = json.loads(result_path.read_text(encoding="utf-8")) if result_path.exists() else None
    elapsed = (time.monotonic() - started) * 1000
    logs = f"START RequestId: {request_id} Version: $LATEST\n{output.decode('utf-8', errors='replace')}"
    logs += f"END RequestId: {request_id}\nREPORT RequestId: {request_id}\tDuration: {elapsed:.2f} ms\n"
    if timed_out:
        message = f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {request_id} Task timed out after "
        message += f"{float(function.timeout):.2f} seconds"
        return json.dumps(_error(message, "Sandbox.Timedout", request_id)).encode(), "Unhandled", logs
    if outcome is None:
        message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {process.returncode}"
        return json.dumps(_error(message, "Runtime.ExitError", request_id)).encode(), "Unhandled", logs
    if "payload" in outcome:
        return outcome["payload"].encode(), None, logs
    return json.dumps({**outcome, "requestId": request_id}).encode(), "Unhandled", logs


def _invoke(self: LambdaFunction, body: str | bytes, request_headers: Any, response_headers: Any) -> bytes:
    if request_headers.get("x-amz-invocation-type") == "DryRun":
        return b""
    event = (body.encode() if isinstance(body, str) else body) or b"{}"
    payload, function_error, logs = run_handler(self, event)
    if function_error:
        response_headers["x-amz-function-error"] = function_error
    response_headers["x-amz-log-result"] = base64.b64encode(logs.encode()[-_LOG_TAIL_BYTES:]).decode()
    self.logs_backend.ensure_log_group(self.logs_group_name)
    self.save_logs(logs)
    return payload


def apply() -> None:
    """Replace moto's Docker runner; route invocations by ARN to the account and region the ARN names."""
    if getattr(LambdaFunction.invoke, "_flightdeck", False):
        return
    original_backend_invoke = LambdaBackend.invoke

    def invoke(  # noqa: PLR0917 - moto's LambdaBackend.invoke signature, called positionally
        self: LambdaBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> Any:
        owner = _FUNCTION_ARN.match(function_name)
        if owner and (owner["account"], owner["region"]) != (self.account_id, self.region_name):
            self = lambda_backends[owner["account"]][owner["region"]]
        return original_backend_invoke(self, function_name, qualifier, body, headers, response_headers)

    _invoke._flightdeck = True  # type: ignore[attr-defined]
    LambdaFunction.invoke = _invoke  # type: ignore[assignment,method-assign]
    LambdaBackend.invoke = invoke  # type: ignore[method-assign]
    on_reset(clear)
    atexit.register(clear)
