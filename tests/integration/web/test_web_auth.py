"""The Releases page behind Airflow's own authentication and authorization, on a real api-server.

No token: 401. A user whose auth manager denies them the release DAG of ``hello``: 403 when asking for it, and a
matrix without it. A user who may read it: 200, with a Bearer token or with the UI's ``_token`` cookie (how the
browser, and the page embedded in the Airflow UI, authenticate).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from releases_server import ApiServer

from flightdeck.ledger import Ledger, Outcome

pytestmark = pytest.mark.integration

ROUTES = [
    "/flightdeck/releases",
    "/flightdeck/releases?application=hello",
    "/flightdeck/releases/hello/history",
    "/flightdeck/api/releases",
    "/flightdeck/api/releases?application=hello",
    "/flightdeck/api/releases/hello/history",
]
HELLO_ROUTES = [route for route in ROUTES if "hello" in route]


@pytest.fixture(scope="module")
def server(api_server: ApiServer) -> Iterator[ApiServer]:
    """The api-server, its default ledger (``$AIRFLOW_HOME/flightdeck-ledger.db``) holding hello and billing."""
    with Ledger(f"sqlite:///{api_server.ledger_file}") as ledger:
        ledger.upgrade()
        for application, version in (("hello", "1.0.0"), ("billing", "3.1.0")):
            attempt_id = ledger.start_attempt(
                application=application,
                environment="dev",
                account_id="111111111111",
                region="eu-west-1",
                stack_name=f"{application}-dev",
                version=version,
                dag_id=f"release__{application}",
                run_id="manual__2026-11-28T10:00:00+00:00",
                started_at=datetime.now(UTC),
            )
            ledger.finish_attempt(attempt_id, Outcome.SUCCEEDED)
    yield api_server
    api_server.ledger_file.unlink()


def _get(server: ApiServer, path: str, token: str | None = None, *, cookie: bool = False) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token and not cookie else {}
    cookies = {"_token": token} if token and cookie else {}
    return requests.get(f"{server.url}{path}", headers=headers, cookies=cookies, timeout=30, allow_redirects=False)


def test_the_api_server_lists_the_plugin(server: ApiServer) -> None:
    plugins = _get(server, "/api/v2/plugins", server.token("admin")).json()["plugins"]
    [flightdeck] = [plugin for plugin in plugins if plugin["name"] == "flightdeck"]
    assert [app["url_prefix"] for app in flightdeck["fastapi_apps"]] == ["/flightdeck"]
    [view] = flightdeck["external_views"]
    assert (view["name"], view["destination"], view["url_route"]) == ("Releases", "nav", "releases")
    errors = _get(server, "/api/v2/plugins/importErrors", server.token("admin")).json()
    assert errors["total_entries"] == 0, errors


@pytest.mark.parametrize("path", ROUTES)
def test_no_token_is_401(server: ApiServer, path: str) -> None:
    response = _get(server, path)
    assert response.status_code == 401, response.text
    assert "1.0.0" not in response.text


@pytest.mark.parametrize("path", ROUTES)
def test_an_invalid_token_is_401(server: ApiServer, path: str) -> None:
    assert _get(server, path, "not-a-jwt").status_code == 401
    assert _get(server, path, "not-a-jwt", cookie=True).status_code == 401


def test_the_page_without_a_token_points_to_the_login(server: ApiServer) -> None:
    response = _get(server, "/flightdeck/releases")
    assert response.headers["content-type"].startswith("text/html")
    assert "/auth/login?next=%2Fflightdeck%2Freleases" in response.text


@pytest.mark.parametrize("path", HELLO_ROUTES)
def test_a_user_denied_the_release_dag_is_403(server: ApiServer, path: str) -> None:
    response = _get(server, path, server.token("outsider"))
    assert response.status_code == 403, response.text
    assert "release__hello" in response.text


def test_a_user_denied_the_release_dag_does_not_see_it_in_the_matrix(server: ApiServer) -> None:
    response = _get(server, "/flightdeck/api/releases", server.token("outsider"))
    assert response.status_code == 200
    body = response.json()
    assert body["applications"] == ["billing"]
    assert [target["application"] for target in body["targets"]] == ["billing"]
    page = _get(server, "/flightdeck/releases", server.token("outsider"))
    assert page.status_code == 200
    assert "billing" in page.text
    assert "hello" not in page.text


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("cookie", [False, True], ids=["bearer", "cookie"])
def test_a_reader_of_the_release_dag_is_served(server: ApiServer, path: str, cookie: bool) -> None:
    response = _get(server, path, server.token("reader"), cookie=cookie)
    assert response.status_code == 200, response.text
    assert "1.0.0" in response.text


def test_the_reader_sees_every_application(server: ApiServer) -> None:
    body = _get(server, "/flightdeck/api/releases", server.token("reader")).json()
    assert body["applications"] == ["billing", "hello"]
    history = _get(server, "/flightdeck/api/releases/hello/history", server.token("reader")).json()
    assert [(a["version"], a["outcome"]) for a in history["attempts"]] == [("1.0.0", "succeeded")]
