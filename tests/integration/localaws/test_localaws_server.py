"""The emulator process: command line, start, reset and stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from localaws_helpers import CONFIG, Emulator

from flightdeck.localaws.server import PLUGINS_DIR, LocalAws, LocalAwsError


def test_command_line_writes_the_port_and_stops_on_sigterm(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    env = {**os.environ, "PYTHONPATH": str(PLUGINS_DIR)}
    command = [sys.executable, "-m", "flightdeck.localaws", "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen([*command, "--port-file", str(port_file)], env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        port = int(port_file.read_text())
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", config=CONFIG)
        assert s3.list_buckets()["Buckets"] == []
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def test_server_starts_quickly_and_stops() -> None:
    server = LocalAws(stock=False)
    started = time.monotonic()
    server.start()
    elapsed = time.monotonic() - started
    try:
        assert server.endpoint_url.startswith("http://127.0.0.1:")
        # Fixes are installed when moto first imports what they patch, so start-up costs what moto's does:
        # ~0.8 s on a quiet 2-CPU machine (budget 2 s); the bound leaves room for a machine busy with tests.
        assert elapsed < 5.0, f"start-up took {elapsed:.2f} s"
    finally:
        server.stop()
    server.stop()  # idempotent
    with pytest.raises(LocalAwsError):
        _ = server.endpoint_url


def test_reset_wipes_every_account(fixed: Emulator, local_aws_server: LocalAws) -> None:
    for account in ("111111111111", "222222222222"):
        fixed.client("ssm", account).put_parameter(Name="/x", Value=account, Type="String")

    local_aws_server.reset()

    for account in ("111111111111", "222222222222"):
        assert fixed.client("ssm", account).describe_parameters()["Parameters"] == []


def test_a_server_that_cannot_start_is_reported() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        server = LocalAws(port=busy.getsockname()[1], stock=True)
        with pytest.raises(LocalAwsError, match="exited"):
            server.start()
    assert server.log_path is None  # cleaned up
