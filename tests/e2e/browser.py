"""The real Airflow UI in headless Chromium: log in as a user, open an approval gate, read it, answer it.

Playwright drives Debian's Chromium at ``/usr/bin/chromium`` (``make chromium`` installs it); Playwright's own
browser download is never used. Screenshots go to :func:`artifacts_dir`.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from playwright.sync_api import BrowserContext, Locator, Page, Playwright, sync_playwright

from scripts.devstack import ROOT

CHROMIUM = Path("/usr/bin/chromium")
# As root, without a sandbox; the background-networking flags keep Chromium off the (closed) network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The first page load compiles the UI's JavaScript bundle; on two busy cores that can take a while.
TIMEOUT_MS = 60_000


def artifacts_dir() -> Path:
    """Where browser tests keep their screenshots: ``$FLIGHTDECK_ARTIFACTS_DIR`` or ``.flightdeck/test-artifacts``."""
    path = Path(os.environ.get("FLIGHTDECK_ARTIFACTS_DIR") or ROOT / ".flightdeck" / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def gate_path(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str:
    """The UI path of a gate's Required Actions tab."""
    task = f"tasks/{task_id}" if map_index < 0 else f"tasks/{task_id}/mapped/{map_index}"
    return f"/dags/{dag_id}/runs/{quote(run_id, safe='')}/{task}/required_actions"


@dataclass
class GateAnswer:
    """What the UI showed after a click on one of a gate's options.

    :param option: the option clicked (``Approve`` / ``Reject``).
    :param accepted: the server took the answer (success toast); False when it refused it ("Access Denied").
    :param toast: the text of the toast the UI showed.
    :param response: the page's "Response received at … from <user>" line ("" when refused).
    :param screenshot: the screenshot of the page taken after the answer.
    """

    option: str
    accepted: bool
    toast: str
    response: str
    screenshot: Path


class AirflowBrowser:
    """One user's browser session in the Airflow UI (a fresh Chromium profile, logged in on entry).

    :param base_url: the api-server, e.g. ``http://127.0.0.1:8080``.
    :param username: a SimpleAuthManager user.
    :param password: that user's password.
    :param artifacts: where screenshots go (default :func:`artifacts_dir`).
    """

    def __init__(self, base_url: str, username: str, password: str, artifacts: Path | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.artifacts = artifacts or artifacts_dir()
        self._profile: tempfile.TemporaryDirectory[str] | None = None
        self._playwright: Playwright | None = None
        self._context: BrowserContext | None = None
        self._page: Page | None = None

    @property
    def page(self) -> Page:
        if self._page is None:
            raise RuntimeError("the browser is not open: use AirflowBrowser as a context manager")
        return self._page

    # -- lifecycle -----------------------------------------------------------------------------------------
    def __enter__(self) -> AirflowBrowser:
        if not CHROMIUM.exists():
            raise RuntimeError(f"Debian's Chromium is not installed at {CHROMIUM}: run `make chromium` as root")
        self._profile = tempfile.TemporaryDirectory(prefix="flightdeck-chromium-")
        self._playwright = sync_playwright().start()
        try:
            self._context = self._playwright.chromium.launch_persistent_context(
                self._profile.name,
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1400, "height": 1000},
            )
            self._context.set_default_timeout(TIMEOUT_MS)
            self._page = self._context.pages[0] if self._context.pages else self._context.new_page()
            self.login()
        except BaseException:
            self._keep_failure_screenshot()
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self._keep_failure_screenshot()
        self.close()

    def _keep_failure_screenshot(self) -> None:
        """Keep what the user saw when something went wrong; never hide the original error."""
        if self._page is not None:
            with contextlib.suppress(Exception):
                self.screenshot(f"failure-{self.username}-{int(time.time())}")

    def close(self) -> None:
        if self._context is not None:
            self._context.close()
        if self._playwright is not None:
            self._playwright.stop()
        if self._profile is not None:
            self._profile.cleanup()
        self._context = self._playwright = self._profile = self._page = None

    # -- pages ---------------------------------------------------------------------------------------------
    def login(self) -> None:
        """Log in through SimpleAuthManager's form; the app is ready when the navigation shows."""
        page = self.page
        page.goto(f"{self.base_url}/auth/login")
        page.locator("input[name=username]").fill(self.username)
        page.locator("input[name=password]").fill(self.password)
        page.locator("button[type=submit]").click()
        page.get_by_role("button", name="Browse").wait_for()

    def open_required_actions(self, task_id: str) -> str:
        """Browse → Required Actions, as a person would; returns the text of the list's rows for ``task_id``."""
        page = self.page
        page.get_by_role("button", name="Browse").click()
        page.get_by_role("menuitem", name="Required Actions").click()
        page.wait_for_url(re.compile(r"/required_actions$"))
        rows = page.get_by_role("row").filter(has_text=task_id)
        rows.first.wait_for()
        return "\n".join(rows.all_inner_texts())

    def open_gate(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        """A gate's Required Actions tab, once its option buttons show."""
        self.page.goto(self.base_url + gate_path(dag_id, run_id, task_id, map_index))
        self.option_button("Approve").wait_for()

    def option_button(self, option: str) -> Locator:
        return self.page.locator(f'[data-testid="hitl-option-{option}"]')

    def gate_body(self, subject: str) -> str:
        """The gate's subject and its rendered Markdown body, as text (table cells tab-separated)."""
        heading = self.page.locator("#details-panel").get_by_text(subject, exact=True).first
        heading.wait_for()
        # The subject and the rendered Markdown are siblings in one stack.
        return heading.locator("xpath=..").inner_text()

    def answer(self, task_id: str, option: str, screenshot: str) -> GateAnswer:
        """Click ``option`` on the open gate and wait for the server's verdict: a success toast or "Access Denied".

        :param screenshot: file name (without ``.png``) of the screenshot taken after the answer.
        """
        page = self.page
        self.option_button(option).click()
        verdict = page.get_by_role("status").filter(
            has_text=re.compile(rf"{re.escape(task_id)} response successful|Access Denied")
        )
        verdict.first.wait_for()
        toast = verdict.first.inner_text().strip()
        accepted = "response successful" in toast
        response = ""
        if accepted:
            received = page.get_by_text(re.compile(rf"Response received at .* from {re.escape(self.username)}"))
            received.wait_for()
            response = received.inner_text().strip()
        return GateAnswer(option, accepted, toast, response, self.screenshot(screenshot))

    def screenshot(self, name: str) -> Path:
        path = self.artifacts / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
