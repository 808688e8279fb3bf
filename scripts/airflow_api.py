"""A small client of Airflow's REST API, acting as one user (release manager or approver)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import requests

FINISHED = {"success", "failed"}


class AirflowApi:
    """Airflow's REST API as ``username`` (a JWT from ``POST /auth/token``).

    :param base_url: the api-server, e.g. ``http://127.0.0.1:8080``.
    :param username: a user of the auth manager.
    :param password: that user's password.
    """

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        response = requests.post(
            f"{self.base_url}/auth/token", json={"username": username, "password": password}, timeout=30
        )
        response.raise_for_status()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.base_url}/api/v2{path}", timeout=30, **kwargs)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """A request that must succeed; returns the JSON answer."""
        response = self.request(method, path, **kwargs)
        if not response.ok:
            raise RuntimeError(f"{method} {path} as {self.username}: HTTP {response.status_code} {response.text}")
        return response.json() if response.content else None

    # -- DAGs and runs -------------------------------------------------------------------------------------
    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        """Wait until the dag-processor has parsed ``dag_id``; report import errors if it never shows up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.request("GET", f"/dags/{dag_id}").ok:
                return
            time.sleep(1)
        errors = self.call("GET", "/importErrors").get("import_errors", [])
        raise TimeoutError(f"DAG {dag_id} not parsed within {timeout:.0f} s; import errors: {errors}")

    def unpause(self, dag_id: str) -> None:
        self.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        """Trigger a run now; returns its run id."""
        run = self.call("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})
        return run["dag_run_id"]

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every task instance of the run, page after page (the API caps a page at ``[api] maximum_page_limit``)."""
        path = f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances"
        found: list[dict[str, Any]] = []
        while True:
            page = self.call("GET", path, params={"limit": 100, "offset": len(found)})
            found += page["task_instances"]
            if not page["task_instances"] or len(found) >= page["total_entries"]:
                return found

    def wait_for_task_state(
        self, dag_id: str, run_id: str, task_id: str, states: set[str], timeout: float = 300
    ) -> dict[str, Any]:
        """Wait until ``task_id`` (any map index) reaches one of ``states``, or the run finishes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ti in self.task_instances(dag_id, run_id):
                if ti["task_id"] == task_id and ti["state"] in states:
                    return ti
            if self.run(dag_id, run_id)["state"] in FINISHED:
                raise RuntimeError(f"run {run_id} finished before {task_id} reached {states}")
            time.sleep(1)
        raise TimeoutError(f"{task_id} did not reach {states} within {timeout:.0f} s")

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.run(dag_id, run_id)
            if run["state"] in FINISHED:
                return run
            time.sleep(1)
        raise TimeoutError(f"run {run_id} of {dag_id} did not finish within {timeout:.0f} s")

    def clear(self, dag_id: str, run_id: str, task_id: str, map_index: int, *, downstream: bool = True) -> list:
        """Clear one mapped task instance (and its downstream) of a run so the scheduler runs it again."""
        return self.clear_tasks(dag_id, run_id, [(task_id, map_index)], downstream=downstream)

    def clear_tasks(
        self, dag_id: str, run_id: str, tasks: Sequence[tuple[str, int]], *, downstream: bool = True
    ) -> list:
        """Clear mapped task instances ``(task id, map index)`` (and their downstream) of a run in one request."""
        body = {
            "dry_run": False,
            "dag_run_id": run_id,
            "task_ids": [[task_id, map_index] for task_id, map_index in tasks],
            "include_downstream": downstream,
            "only_failed": False,
            "reset_dag_runs": True,
        }
        return self.call("POST", f"/dags/{dag_id}/clearTaskInstances", json=body)["task_instances"]

    def task_log(self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> str:
        path = f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}/logs/{try_number}"
        answer = self.call("GET", path, params={"map_index": map_index}, headers={"Accept": "application/json"})
        # Each line is a structured record; errors are in its error_detail, so keep the whole record.
        return "\n".join(json.dumps(line) if isinstance(line, dict) else str(line) for line in answer["content"])

    # -- Human-in-the-loop ---------------------------------------------------------------------------------
    def answer_gate(
        self, dag_id: str, run_id: str, task_id: str, option: str, map_index: int = -1
    ) -> requests.Response:
        """Answer an approval gate (``Approve`` / ``Reject``); returns the raw response (403 if not allowed)."""
        path = f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}/{map_index}/hitlDetails"
        return self.request("PATCH", path, json={"chosen_options": [option], "params_input": {}})

    def gate(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict[str, Any]:
        """A gate's Human-in-the-loop details: ``response_received``, ``chosen_options``, ``responded_by_user``…"""
        path = f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}/{map_index}/hitlDetails"
        return self.call("GET", path)

    def xcom(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1, key: str = "return_value") -> Any:
        """A task instance's XCom value (deserialised)."""
        path = f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}/xcomEntries/{key}"
        return self.call("GET", path, params={"map_index": map_index, "deserialize": "true"})["value"]
