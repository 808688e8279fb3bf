"""Links from the Releases page: to Airflow's UI (DAG runs, Required Actions) and to the page's own views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

if TYPE_CHECKING:  # kept light: the plugin module imports URL_PREFIX from here in every Airflow process
    from flightdeck.ledger import Attempt

URL_PREFIX = "/flightdeck"  # where the api-server mounts the app (the plugin's url_prefix)


def _segment(value: str) -> str:
    """``value`` as one path segment: run ids carry ``+`` and ``:``, and nothing may add a ``/``."""
    return quote(value, safe="")


@dataclass(frozen=True)
class Links:
    """Paths for one request, relative to the host.

    :param app: the app's own root path (``/flightdeck``, behind ``[api] base_url``'s path if it has one).
    :param ui: the Airflow UI's root path (``""`` unless ``[api] base_url`` has a path).
    """

    app: str
    ui: str

    @classmethod
    def from_root_path(cls, root_path: str) -> Links:
        """The links of a request whose ASGI ``root_path`` is the app's mount point."""
        app = root_path.rstrip("/")
        ui = app.removesuffix(URL_PREFIX) if app.endswith(URL_PREFIX) else ""
        return cls(app=app, ui=ui)

    def dag(self, dag_id: str) -> str:
        return f"{self.ui}/dags/{_segment(dag_id)}"

    def run(self, attempt: Attempt) -> str:
        """The attempt's DAG run in the Airflow UI."""
        return f"{self.dag(attempt.dag_id)}/runs/{_segment(attempt.run_id)}"

    def run_required_actions(self, attempt: Attempt) -> str:
        """The Required Actions tab of the attempt's DAG run (its approval gates)."""
        return f"{self.run(attempt)}/required_actions"

    def required_actions(self) -> str:
        """Browse → Required Actions: every gate waiting for someone."""
        return f"{self.ui}/required_actions"

    def matrix(self, application: str | None = None, environment: str | None = None) -> str:
        return f"{self.app}/releases{_query(application=application, environment=environment)}"

    def history(
        self,
        application: str,
        environment: str | None = None,
        account_id: str | None = None,
        region: str | None = None,
    ) -> str:
        query = _query(environment=environment, account_id=account_id, region=region)
        return f"{self.app}/releases/{_segment(application)}/history{query}"

    def target_history(self, attempt: Attempt) -> str:
        """The history of the attempt's target (its application, environment, account and region)."""
        return self.history(attempt.application, attempt.environment, attempt.account_id, attempt.region)


def _query(**values: str | None) -> str:
    given = {name: value for name, value in values.items() if value}
    return f"?{urlencode(given)}" if given else ""
