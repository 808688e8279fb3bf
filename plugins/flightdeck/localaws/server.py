"""``LocalAws``: start, reset and stop the emulator as a separate process."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

# plugins/ (the directory holding the flightdeck package), for the subprocess's PYTHONPATH.
PLUGINS_DIR = Path(__file__).resolve().parents[2]
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalAwsError(RuntimeError):
    """The emulator process could not be started or did not answer."""


class LocalAws:
    """The local AWS emulator (``python -m flightdeck.localaws``) run as a subprocess.

    :param host: address to bind.
    :param port: port to bind; 0 picks a free one (see ``endpoint_url`` once started).
    :param stock: run plain moto, without Flightdeck's fidelity fixes.
    :param startup_timeout: seconds to wait for the server to answer before giving up.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, stock: bool = False, startup_timeout: float = 30.0
    ) -> None:
        self.host = host
        self.port = port
        self.stock = stock
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self._bound_port: int | None = None

    @property
    def endpoint_url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        if self._bound_port is None:
            raise LocalAwsError("the emulator is not running: call start() first")
        return f"http://{self.host}:{self._bound_port}"

    @property
    def log_path(self) -> Path | None:
        """The server's combined stdout/stderr, while it runs."""
        return self._workdir / "server.log" if self._workdir else None

    def start(self) -> LocalAws:
        """Start the server and wait (bounded) until it answers HTTP."""
        if self._process is not None:
            return self
        self._workdir = Path(tempfile.mkdtemp(prefix="flightdeck-localaws-"))
        port_file = self._workdir / "port"
        command = [sys.executable, "-m", "flightdeck.localaws", "--host", self.host, "--port", str(self.port)]
        command += ["--port-file", str(port_file)] + (["--stock"] if self.stock else [])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PLUGINS_DIR), env.get("PYTHONPATH")]))
        with open(self._workdir / "server.log", "wb") as log:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        try:
            self._wait_until_healthy(port_file)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_healthy(self, port_file: Path) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise LocalAwsError(f"the emulator exited with {self._process.returncode}:\n{self._log_tail()}")
            if self._bound_port is None and port_file.exists():
                self._bound_port = int(port_file.read_text(encoding="utf-8"))
            if self._bound_port is not None and self._answers():
                return
            time.sleep(0.02)
        raise LocalAwsError(f"the emulator did not answer within {self.startup_timeout} s:\n{self._log_tail()}")

    def _answers(self) -> bool:
        try:
            with _NO_PROXY.open(f"{self.endpoint_url}/moto-api/config", timeout=2) as response:
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError):
            return False

    def _log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def reset(self) -> None:
        """Wipe every account and region (``POST /moto-api/reset``) and the fixes' own state."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", data=b"", method="POST")
        with _NO_PROXY.open(request, timeout=30) as response:
            if not 200 <= response.status < 300:
                raise LocalAwsError(f"reset failed with HTTP {response.status}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server: SIGTERM, a bounded wait, then SIGKILL. Safe to call twice."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        self._bound_port = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
