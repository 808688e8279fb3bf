"""The local stack: the local AWS emulator and an Airflow (api-server, scheduler, dag-processor, triggerer).

Everything lives under one state directory (default ``.flightdeck/`` in the repo, git-ignored). ``up`` starts what
is not running, ``down`` stops what ``up`` started. Used by ``make up|down|demo`` and by the end-to-end tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
USERS = {"admin": "admin", "release-manager": "user", "approver": "user"}
ORCHESTRATOR_ACCOUNT = "123456789012"
DEMO_REGION = "eu-west-1"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StackState:
    """What ``up`` started, persisted as ``stack.json`` so ``down`` (another process) can stop it."""

    aws_port: int = 0
    api_port: int = 0
    worker_log_port: int = 0
    trigger_log_port: int = 0
    jwt_secret: str = ""
    passwords: dict[str, str] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)


class Stack:
    """The local stack rooted at ``state_dir``.

    :param state_dir: where the Airflow home, logs, the emulator's port and the pid files live.
    :param manifests_dir: the release manifests the DAG loader reads.
    """

    #: The Airflow processes of the stack, each started as ``component_argv(name)`` (the local AWS comes first).
    components: tuple[str, ...] = COMPONENTS
    #: What ``stack.json`` holds (a subclass may persist more).
    state_type: type[StackState] = StackState

    def __init__(self, state_dir: Path | None = None, manifests_dir: Path | None = None) -> None:
        self.state_dir = (state_dir or Path(os.environ.get("FLIGHTDECK_STATE_DIR", ROOT / ".flightdeck"))).resolve()
        self.manifests_dir = (manifests_dir or ROOT / "include" / "manifests").resolve()
        self.airflow_home = self.state_dir / "airflow"
        self.logs_dir = self.state_dir / "logs"
        self.state_file = self.state_dir / "stack.json"
        self.state = self._load_state()

    # -- state ---------------------------------------------------------------------------------------------
    def _load_state(self) -> StackState:
        if self.state_file.exists():
            return self.state_type(**json.loads(self.state_file.read_text()))
        return self.state_type()

    def _new_state(self) -> StackState:
        """Fresh ports, secrets and passwords for ``up``."""
        return StackState(
            aws_port=free_port(),
            api_port=free_port(),
            worker_log_port=free_port(),
            trigger_log_port=free_port(),
            jwt_secret=secrets.token_urlsafe(32),
            passwords={user: secrets.token_urlsafe(12) for user in USERS},
        )

    def _save_state(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(asdict(self.state), indent=2))
        self.state_file.chmod(0o600)

    @property
    def aws_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.state.aws_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.state.api_port}"

    def running(self) -> dict[str, int]:
        """The components of this stack whose processes are alive."""
        return {name: pid for name, pid in self.state.pids.items() if _alive(pid)}

    # -- environment ---------------------------------------------------------------------------------------
    def aws_env(self) -> dict[str, str]:
        """Credentials and endpoint that point boto3 at the local AWS (the orchestrator account)."""
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": DEMO_REGION,
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def airflow_env(self) -> dict[str, str]:
        """The environment every Airflow component of the stack runs with."""
        state = self.state
        connection = {
            "conn_type": "aws",
            "login": "testing",
            "password": "testing",
            "extra": {
                "region_name": DEMO_REGION,
                "endpoint_url": self.aws_endpoint,
                "service_config": {"sts": {"endpoint_url": self.aws_endpoint}},
            },
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AWS_"))}
        env.update(self.aws_env())
        env.update(
            {
                "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                "AIRFLOW_HOME": str(self.airflow_home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "8",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in USERS.items()),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.state_dir / "passwords.json"),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.airflow_home / 'airflow.db'}",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(state.api_port),
                "AIRFLOW__API__BASE_URL": self.api_url,
                "AIRFLOW__API_AUTH__JWT_SECRET": state.jwt_secret,
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(state.worker_log_port),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(state.trigger_log_port),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
                # An idle scheduler looks for work every 0.25 s, not every second: each step of a release starts
                # that much sooner after the one before (docs/operations.md, "Latency").
                "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.25",
                "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(connection),
                "FLIGHTDECK_MANIFESTS_DIR": str(self.manifests_dir),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    # -- lifecycle -----------------------------------------------------------------------------------------
    def up(self) -> None:
        """Start the local AWS and Airflow (whatever is not running yet), then bootstrap the demo accounts."""
        if self.running():
            if len(self.running()) == len(self.components) + 1 and self._healthy():
                return
            self.down()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(exist_ok=True)
        self.airflow_home.mkdir(exist_ok=True)
        self._preload_flightdeck()
        self.state = self._new_state()
        passwords_file = self.state_dir / "passwords.json"
        passwords_file.write_text(json.dumps(self.state.passwords))
        passwords_file.chmod(0o600)
        try:
            self._start_local_aws()
            self._create_databases()
            self._run(["airflow", "db", "migrate"], "db-migrate")
            for component in self.components:
                self._spawn(component, self.component_argv(component))
            self._wait_healthy()
            self._bootstrap()
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        """Stop every process ``up`` started: SIGTERM to each process group, bounded wait, then SIGKILL."""
        pids = self.running()
        for pid in pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids.values()):
            time.sleep(0.2)
        for pid in pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        self.state.pids = {}
        if self.state_dir.exists():
            self._save_state()

    # -- helpers -------------------------------------------------------------------------------------------
    def component_argv(self, name: str) -> list[str]:
        """The command that starts the Airflow component ``name``."""
        return ["airflow", name]

    def _create_databases(self) -> None:
        """Make the databases the stack needs before ``airflow db migrate`` (SQLite files make themselves)."""

    def _preload_flightdeck(self) -> None:
        """Have every Airflow component import Flightdeck when it starts: the deployments' own
        ``config/airflow_local_settings.py``, copied into the stack's Airflow home.

        The scheduler forks the LocalExecutor's workers, and each worker forks a process per task: with Flightdeck
        imported (and botocore's models loaded) before the forks, a task's process does neither again.
        """
        config = self.airflow_home / "config"  # on sys.path in every component
        config.mkdir(exist_ok=True)
        shutil.copyfile(ROOT / "config" / "airflow_local_settings.py", config / "airflow_local_settings.py")

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.logs_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env or self.airflow_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.state.pids[name] = process.pid
        self._save_state()

    def _run(self, argv: list[str], name: str) -> None:
        with (self.logs_dir / f"{name}.log").open("ab") as log:
            subprocess.run(argv, cwd=ROOT, env=self.airflow_env(), stdout=log, stderr=subprocess.STDOUT, check=True)

    def _start_local_aws(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
        argv = [
            sys.executable,
            "-m",
            "flightdeck.localaws",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.state.aws_port),
        ]
        self._spawn("localaws", argv, env=env)
        _wait_for(lambda: _get_ok(f"{self.aws_endpoint}/moto-api/"), 30, "the local AWS")

    def _healthy(self) -> bool:
        try:
            health = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=2).json()
        except (requests.RequestException, ValueError):
            return False
        parts = ("metadatabase", "scheduler", "dag_processor", "triggerer")
        return all(health.get(part, {}).get("status") == "healthy" for part in parts)

    def _wait_healthy(self) -> None:
        _wait_for(self._healthy, 120, f"Airflow at {self.api_url} (logs: {self.logs_dir})")

    def _bootstrap(self) -> None:
        """Create the demo organization, bootstrap every account of the manifests, seed parameters and secrets."""
        env = {**os.environ, **self.aws_env(), "PYTHONPATH": f"{ROOT / 'plugins'}{os.pathsep}{ROOT}"}
        orchestrator = f"arn:aws:iam::{ORCHESTRATOR_ACCOUNT}:root"
        argv = [sys.executable, "-m", "scripts.demo_organization", str(self.manifests_dir)]
        with (self.logs_dir / "bootstrap.log").open("ab") as log:
            subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
        for manifest in sorted(self.manifests_dir.glob("*.y*ml")):
            argv = [
                sys.executable,
                "-m",
                "flightdeck",
                "bootstrap",
                str(manifest),
                "--orchestrator-arn",
                orchestrator,
            ]
            with (self.logs_dir / "bootstrap.log").open("ab") as log:
                subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
        argv = [sys.executable, "-m", "scripts.seed_demo", str(self.manifests_dir)]
        with (self.logs_dir / "bootstrap.log").open("ab") as log:
            subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)


def _alive(pid: int) -> bool:
    # A component this process started and that has exited stays a zombie (signal 0 still reaches it) until reaped.
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _get_ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not become ready within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status"])
    args = parser.parse_args(argv)
    stack = Stack()
    if args.command == "up":
        stack.up()
        print(f"Airflow UI:  {stack.api_url}   (state and logs in {stack.state_dir})")
        print(f"Local AWS:   {stack.aws_endpoint}")
        for user, role in USERS.items():
            print(f"  user {user:<16} role {role:<6} password {stack.state.passwords[user]}")
        print(
            "Trigger release__hello from the UI; approve the prod gate as 'approver' under Browse → Required Actions."
        )
    elif args.command == "down":
        stack.down()
        print("Stopped.")
    else:
        running = stack.running()
        print(json.dumps({"running": running, "api": stack.api_url if running else None}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
