"""The production topology without containers: the local stack on PostgreSQL, Redis and a Celery worker.

Airflow's metadata, Celery's results and the release ledger live in a PostgreSQL database made for the stack (and
dropped by ``down``); the scheduler sends every task through Redis to ``airflow celery worker``, a process of its
own beside the api-server, scheduler, dag-processor and triggerer. The servers are the machine's own
(``FLIGHTDECK_POSTGRES_URL``, ``FLIGHTDECK_REDIS_URL``); the local AWS is the same as the dev stack's.
Several stacks may share both servers: each has its own database and its own Celery queue (docs/production-topology.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import redis
from sqlalchemy import create_engine, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from scripts.devstack import COMPONENTS, ROOT, USERS, Stack, StackState

# A role that may create databases, and the database it connects to for that (trust authentication on CI).
POSTGRES_URL = os.environ.get("FLIGHTDECK_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
# The broker. Stacks share its database number: each has a queue (and exchange) of its own, so no flush is needed.
REDIS_URL = os.environ.get("FLIGHTDECK_REDIS_URL", "redis://127.0.0.1:6379/7")
WORKER = "celery-worker"
WORKER_CONCURRENCY = 4


@dataclass
class ProductionState(StackState):
    """The dev stack's state plus the stack's own PostgreSQL database and Celery queue."""

    database: str = ""
    queue: str = ""


class ProductionStack(Stack):
    """The local stack in the production topology: PostgreSQL, Redis, CeleryExecutor and a Celery worker.

    :param state_dir: where the Airflow home, logs and the pid files live (as for :class:`Stack`).
    :param manifests_dir: the release manifests the DAG loader reads.
    """

    components = (*COMPONENTS, WORKER)
    state_type = ProductionState
    state: ProductionState

    # -- environment ---------------------------------------------------------------------------------------
    @property
    def database_url(self) -> URL:
        """The stack's PostgreSQL database (psycopg2): Airflow's metadata, Celery's results and the ledger."""
        return make_url(POSTGRES_URL).set(database=self.state.database)

    def airflow_env(self) -> dict[str, str]:
        env = super().airflow_env()
        database = self.database_url
        libpq = database.set(drivername="postgresql").render_as_string(hide_password=False)
        # Celery's result backend names its driver: SQLAlchemy 2.1's default for postgresql:// is psycopg 3.
        psycopg2 = database.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)
        env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database.render_as_string(hide_password=False),
                "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{psycopg2}",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
                # Every task goes to this stack's queue (the operators' default queue; Celery's default queue and
                # exchange follow it), and the worker consumes only that one.
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.state.queue,
                # No broadcast traffic between workers of different stacks on the same Redis database.
                "AIRFLOW__CELERY__WORKER_ENABLE_REMOTE_CONTROL": "False",
                "AIRFLOW_CONN_FLIGHTDECK_LEDGER": libpq,
            }
        )
        return env

    # -- lifecycle -----------------------------------------------------------------------------------------
    def _new_state(self) -> ProductionState:
        suffix = uuid.uuid4().hex[:12]
        return ProductionState(
            **asdict(super()._new_state()), database=f"flightdeck_stack_{suffix}", queue=f"flightdeck-{suffix}"
        )

    def component_argv(self, name: str) -> list[str]:
        if name != WORKER:
            return super().component_argv(name)
        return [
            "airflow",
            "celery",
            "worker",
            "--queues",
            self.state.queue,
            "--concurrency",
            str(WORKER_CONCURRENCY),
            "--without-mingle",
            "--without-gossip",
        ]

    def _create_databases(self) -> None:
        """The stack's PostgreSQL database; and a check that the broker answers before anything waits on it."""
        try:
            with _server().connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{self.state.database}"'))
            with redis.Redis.from_url(REDIS_URL) as broker:
                broker.ping()
        except (exc.OperationalError, redis.RedisError) as err:
            raise RuntimeError(
                f"The production topology needs PostgreSQL ({make_url(POSTGRES_URL).render_as_string()}) and Redis "
                f"({REDIS_URL}): {err}. Start them, or set FLIGHTDECK_POSTGRES_URL / FLIGHTDECK_REDIS_URL."
            ) from err

    def down(self) -> None:
        """Stop the processes, then drop the stack's database and whatever of its queue is left in Redis."""
        super().down()
        if self.state.database:
            with _server().connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.state.database}" WITH (FORCE)'))
        if self.state.queue:
            broker = redis.Redis.from_url(REDIS_URL)
            try:
                keys = list(broker.scan_iter(match=f"*{self.state.queue}*"))
                if keys:
                    broker.delete(*keys)
            finally:
                broker.close()
        self.state.database = self.state.queue = ""
        if self.state_dir.exists():
            self._save_state()

    # -- helpers -------------------------------------------------------------------------------------------
    def _healthy(self) -> bool:
        """The dev stack's health, and the Celery worker consuming its queue (a worker that died fails at once)."""
        worker_log = self.logs_dir / f"{WORKER}.log"
        if WORKER in self.state.pids and WORKER not in self.running():
            tail = worker_log.read_text(errors="replace")[-2000:] if worker_log.exists() else ""
            raise RuntimeError(f"The Celery worker exited ({worker_log}):\n{tail}")
        return worker_log.exists() and " ready." in worker_log.read_text(errors="replace") and super()._healthy()


def _server():
    """An autocommit engine on the PostgreSQL server (CREATE and DROP DATABASE need autocommit)."""
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="prodstack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--state-dir", type=Path, help="default: .flightdeck/prodstack")
    args = parser.parse_args(argv)
    stack = ProductionStack(state_dir=args.state_dir or ROOT / ".flightdeck" / "prodstack")
    if args.command == "up":
        stack.up()
        print(f"Airflow UI:  {stack.api_url}   (state and logs in {stack.state_dir})")
        print(f"Metadata, Celery results and ledger: {stack.database_url.render_as_string()}")
        print(f"Celery:      queue {stack.state.queue} on {REDIS_URL}")
        for user, role in USERS.items():
            print(f"  user {user:<16} role {role:<6} password {stack.state.passwords[user]}")
    elif args.command == "down":
        stack.down()
        print("Stopped; database and queue removed.")
    else:
        running = stack.running()
        print(json.dumps({"running": running, "api": stack.api_url if running else None}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
