"""The Releases app over HTTP, mounted at /flightdeck, with a stand-in for Airflow's auth (tests/integration/web
checks the real one): JSON API, pages, filters, 403 by name, escaping, headers, no unauthenticated extras."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL
from web_samples import RUN_TWO, XSS, client_for

from flightdeck.web.auth import Viewer

RUN_TWO_QUOTED = "manual__2026-11-02T10%3A00%3A00%2B00%3A00"


def test_api_matrix_lists_the_readable_targets_newest_first_with_links(client: TestClient) -> None:
    response = client.get("/flightdeck/api/releases")
    assert response.status_code == 200
    body = response.json()
    assert body["recorded"] is True
    assert body["applications"] == [XSS, "hello"]
    assert [(t["application"], t["environment"], t["region"], t["version"], t["outcome"]) for t in body["targets"]] == [
        (XSS, "dev", "eu-west-1", "1.0", "failed"),
        ("hello", "prod", "eu-west-1", "2.0.0", "rolled_back"),
        ("hello", "staging", "eu-west-1", "2.0.0", "failed"),
        ("hello", "dev", "eu-west-1", "2.0.0", "succeeded"),
        ("hello", "prod", "us-east-1", "1.0.0", "succeeded"),
    ]
    prod = body["targets"][1]
    assert prod["links"] == {
        "run": f"/dags/release__hello/runs/{RUN_TWO_QUOTED}",
        "required_actions": f"/dags/release__hello/runs/{RUN_TWO_QUOTED}/required_actions",
        "history": "/flightdeck/releases/hello/history?environment=prod&account_id=333333333333&region=eu-west-1",
    }
    assert prod["run_id"] == RUN_TWO
    assert prod["started_at"].endswith("+00:00")
    assert body["targets"][-1]["approved_by"] == "approver"
    assert response.headers["cache-control"] == "no-store"


def test_api_matrix_filters(client: TestClient) -> None:
    body = client.get("/flightdeck/api/releases", params={"application": "hello", "environment": "prod"}).json()
    assert body["filters"] == {"application": "hello", "environment": "prod"}
    assert [(t["region"], t["version"]) for t in body["targets"]] == [("eu-west-1", "2.0.0"), ("us-east-1", "1.0.0")]
    everything = client.get("/flightdeck/api/releases", params={"application": "", "environment": ""}).json()
    assert len(everything["targets"]) == 5


@pytest.mark.parametrize(
    "path",
    [
        "/flightdeck/api/releases?application=payroll",
        "/flightdeck/api/releases/payroll/history",
        "/flightdeck/releases?application=payroll",
        "/flightdeck/releases/payroll/history",
    ],
)
def test_an_application_the_viewer_may_not_read_is_refused_by_name(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 403
    assert "release__payroll" in response.text
    assert "9.9.9" not in response.text


def test_api_history_newest_first_per_target(client: TestClient) -> None:
    params = {"environment": "prod", "account_id": "333333333333", "region": "eu-west-1", "limit": 1}
    body = client.get("/flightdeck/api/releases/hello/history", params=params).json()
    assert body["filters"] == {"environment": "prod", "account_id": "333333333333", "region": "eu-west-1"}
    assert body["limit"] == 1
    assert [(a["version"], a["outcome"]) for a in body["attempts"]] == [("2.0.0", "rolled_back")]
    everything = client.get("/flightdeck/api/releases/hello/history").json()
    assert [a["version"] for a in everything["attempts"]] == ["2.0.0"] * 3 + ["1.0.0"] * 4


@pytest.mark.parametrize("limit", [0, 501, "many"])
def test_api_history_refuses_a_bad_limit(client: TestClient, limit: object) -> None:
    assert client.get("/flightdeck/api/releases/hello/history", params={"limit": limit}).status_code == 422


def test_page_shows_the_matrix_with_filters_and_links(client: TestClient) -> None:
    response = client.get("/flightdeck/releases", params={"application": "hello"})
    assert response.status_code == 200
    html = response.text
    assert html.count('<tr data-target="hello/') == 4
    assert html.index('data-target="hello/prod/333333333333/eu-west-1"') < html.index(
        'data-target="hello/prod/333333333333/us-east-1"'
    )
    assert f'href="/dags/release__hello/runs/{RUN_TWO_QUOTED}"' in html
    assert f'href="/dags/release__hello/runs/{RUN_TWO_QUOTED}/required_actions"' in html
    assert 'href="/required_actions"' in html
    assert '<option value="hello" selected>hello</option>' in html
    assert "rolled back" in html
    assert "approver" in html
    assert "payroll" not in html


def test_page_escapes_everything_it_shows(client: TestClient) -> None:
    html = client.get("/flightdeck/releases").text
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    history = client.get(f"/flightdeck/releases/{quote(XSS, safe='')}/history")
    assert history.status_code == 200
    assert XSS not in history.text
    assert "broke &lt;img src=x" in history.text


def test_page_history_of_one_target(client: TestClient) -> None:
    params = {"environment": "staging", "account_id": "222222222222", "region": "eu-west-1"}
    html = client.get("/flightdeck/releases/hello/history", params=params).text
    assert html.count("<tr data-attempt=") == 2
    assert "History of hello in staging/222222222222/eu-west-1" in html
    assert "Stack failed" in html


def test_pages_forbid_anything_but_themselves(client: TestClient) -> None:
    policy = client.get("/flightdeck/releases").headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "script-src 'nonce-" in policy


@pytest.mark.parametrize("path", ["/flightdeck/docs", "/flightdeck/redoc", "/flightdeck/openapi.json"])
def test_no_unauthenticated_schema_or_docs(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_nothing_recorded_yet(tmp_path: Path) -> None:
    client = client_for(URL.create("sqlite", database=str(tmp_path / "flightdeck-ledger.db")))
    body = client.get("/flightdeck/api/releases").json()
    assert body == {
        "recorded": False,
        "filters": {"application": None, "environment": None},
        "applications": [],
        "environments": [],
        "targets": [],
    }
    assert "No deployment is recorded yet" in client.get("/flightdeck/releases").text
    assert client.get("/flightdeck/api/releases/hello/history").json()["attempts"] == []


def test_a_viewer_who_may_read_nothing_sees_an_empty_matrix(ledger_url: URL) -> None:
    client = client_for(ledger_url, Viewer("nobody", lambda dag_ids: set()))
    body = client.get("/flightdeck/api/releases").json()
    assert (body["recorded"], body["applications"], body["targets"]) == (True, [], [])
    assert client.get("/flightdeck/api/releases/hello/history").status_code == 403


def test_an_unreadable_ledger_answers_503(tmp_path: Path) -> None:
    directory = tmp_path / "not-a-database.db"
    directory.mkdir()  # exists, but SQLite cannot open a directory
    client = client_for(URL.create("sqlite", database=str(directory)))
    response = client.get("/flightdeck/api/releases")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("The release ledger cannot be read")
    page = client.get("/flightdeck/releases")
    assert page.status_code == 503
    assert "The release ledger cannot be read" in page.text
