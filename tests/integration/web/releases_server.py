"""A real ``airflow api-server`` for the Releases page's auth tests: its own Airflow home, metadata database and
ledger, the repository's plugins folder, and an auth manager that denies one user one release DAG.

Only the api-server runs (no scheduler): the page reads the ledger, which the tests write through the Ledger API.
A server that does not start fails the tests with its log.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from scripts.devstack import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
USERS = {"admin": "admin", "reader": "viewer", "outsider": "viewer"}
STARTUP_SECONDS = 180  # two busy cores: the api-server's imports alone can take half a minute


@dataclass(frozen=True)
class ApiServer:
    """The running api-server.

    :param url: its base URL.
    :param airflow_home: its Airflow home (the ledger's default SQLite file lives there).
    :param passwords: each user's password.
    """

    url: str
    airflow_home: Path
    passwords: dict[str, str]

    @property
    def ledger_file(self) -> Path:
        return self.airflow_home / "flightdeck-ledger.db"

    def token(self, user: str) -> str:
        """A JWT for ``user`` from ``POST /auth/token``."""
        response = requests.post(
            f"{self.url}/auth/token", json={"username": user, "password": self.passwords[user]}, timeout=30
        )
        response.raise_for_status()
        return response.json()["access_token"]


def _environment(home: Path, port: int, passwords_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AWS_"))}
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "plugins")]),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__AUTH_MANAGER": "outsider_auth_manager.OutsiderAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in USERS.items()),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        }
    )
    return env


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"airflow api-server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(f"{url}/api/v2/monitor/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"airflow api-server not healthy within {STARTUP_SECONDS} s:\n{log.read_text()[-4000:]}")


@contextmanager
def running_api_server(home: Path) -> Iterator[ApiServer]:
    """An api-server in the Airflow home ``home`` (an empty directory), stopped on exit."""
    (home / "dags").mkdir()
    passwords = {user: secrets.token_urlsafe(12) for user in USERS}
    passwords_file = home / "passwords.json"
    passwords_file.write_text(json.dumps(passwords))
    port = free_port()
    env = _environment(home, port, passwords_file)
    log = home / "api-server.log"
    with log.open("ab") as output:
        argv = ["airflow", "db", "migrate"]
        migrate = subprocess.run(argv, env=env, stdout=output, stderr=subprocess.STDOUT, check=False)
        if migrate.returncode:
            pytest.fail(f"airflow db migrate exited with {migrate.returncode}:\n{log.read_text()[-4000:]}")
        process = subprocess.Popen(
            ["airflow", "api-server"],
            env=env,
            cwd=home,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = ApiServer(url=f"http://127.0.0.1:{port}", airflow_home=home, passwords=passwords)
    try:
        _wait_healthy(server.url, process, log)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
