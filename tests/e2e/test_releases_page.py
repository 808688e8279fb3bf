"""End to end in a real browser: the Releases page in the Airflow UI shows what the ledger recorded.

On the session's stack, after tests/e2e/test_release.py has released hello (its tasks write the ledger): the release
manager logs in, opens Releases from the navigation (the page is embedded at /plugin/releases), and finds every
target of hello with the version and outcome the ledger holds; the same matrix comes from the JSON API with the
browser's session cookie; a target's history opens; a DAG run link moves the Airflow UI itself to the run. The
screenshot stays at ``.flightdeck/artifacts/releases-page.png``.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from browser import AirflowBrowser
from playwright.sync_api import FrameLocator

from flightdeck.ledger import Attempt, Ledger
from flightdeck.web.render import status_label
from scripts.demo import MANAGER
from scripts.devstack import ROOT, Stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

APPLICATION = "hello"
SCREENSHOT = ROOT / ".flightdeck" / "artifacts" / "releases-page.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _label(attempt: Attempt) -> str:
    return f"{attempt.application}/{attempt.environment}/{attempt.account_id}/{attempt.region}"


@pytest.fixture(scope="module")
def recorded(stack: Stack) -> tuple[Attempt, ...]:
    """The newest attempt of each of hello's targets, as the stack's ledger holds them (read before the browser)."""
    ledger_file = stack.airflow_home / "flightdeck-ledger.db"
    assert ledger_file.is_file(), (
        f"No release ledger at {ledger_file}: the release tasks record every attempt there (run this module after "
        "tests/e2e/test_release.py, in the same session)"
    )
    with Ledger(f"sqlite:///{ledger_file}") as ledger:
        latest = ledger.latest_by_target(application=APPLICATION)
    assert latest, f"The ledger at {ledger_file} records no attempt of {APPLICATION}"
    return latest


def _frame(browser: AirflowBrowser) -> FrameLocator:
    return browser.page.frame_locator('iframe[title="Releases"]')


def test_releases_page_shows_the_ledger(stack: Stack, recorded: tuple[Attempt, ...]) -> None:
    with AirflowBrowser(stack.api_url, MANAGER, stack.state.passwords[MANAGER]) as browser:
        page = browser.page
        page.get_by_role("link", name="Releases").click()
        page.wait_for_url(re.compile(r"/plugin/releases"))
        frame = _frame(browser)
        matrix = frame.get_by_test_id("releases-matrix")
        matrix.wait_for()
        cells = {}
        for attempt in recorded:
            row = matrix.locator(f'tr[data-target="{_label(attempt)}"]')
            cells[_label(attempt)] = row.locator("td").all_inner_texts()
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        # The JSON API, with the browser's own session (the UI's _token cookie).
        response = page.request.get(f"{stack.api_url}/flightdeck/api/releases?application={APPLICATION}")
        assert response.status == 200, response.text()
        api_targets = response.json()["targets"]

        # A target's history, inside the embedded page.
        newest = max(recorded, key=lambda attempt: (attempt.started_at, attempt.id))
        matrix.locator(f'tr[data-target="{_label(newest)}"]').get_by_role("link", name="History").click()
        history = frame.get_by_test_id("releases-history")
        history.wait_for()
        history_rows = history.locator("tr[data-attempt]").count()

        # A DAG run link moves the Airflow UI (not the frame) to the run.
        frame.locator("tr[data-attempt]").first.get_by_role("link", name="DAG run").click()
        run_path = f"/dags/{newest.dag_id}/runs/{quote(newest.run_id, safe='')}"
        page.wait_for_url(re.compile(re.escape(run_path) + "$"))

    for attempt in recorded:
        row = cells[_label(attempt)]
        assert row[:5] == [
            attempt.application,
            attempt.environment,
            attempt.account_id,
            attempt.region,
            attempt.version,
        ], row
        assert row[5] == status_label(attempt)
        assert row[7] == (attempt.approved_by or "—")
    assert {(t["environment"], t["account_id"], t["region"], t["version"], t["outcome"]) for t in api_targets} == {
        (a.environment, a.account_id, a.region, a.version, a.outcome.value) for a in recorded
    }
    assert history_rows >= 1
    assert SCREENSHOT.is_file()
    assert SCREENSHOT.stat().st_size > 10_000
    assert SCREENSHOT.read_bytes().startswith(PNG_SIGNATURE)
