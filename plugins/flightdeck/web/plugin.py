"""The Airflow plugin of the Releases page: the app the api-server mounts and the "Releases" navigation entry.

Every Airflow process loads plugins (scheduler, dag-processor, triggerer, each task), but only the api-server
serves them: the app is built on its first request, so loading the plugin imports neither FastAPI routes, Jinja2
nor the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from airflow.sdk.plugins_manager import AirflowPlugin

from flightdeck.web.links import URL_PREFIX

PAGE = "flightdeck/releases"  # relative: the UI's <base href> puts it under [api] base_url's path

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


class LazyApp:
    """An ASGI app that imports and builds the real one (``module:factory``) when its first request arrives.

    :param factory: ``"package.module:function"`` returning an ASGI app.
    """

    def __init__(self, factory: str) -> None:
        self.factory = factory
        self._app: Callable[[Scope, Receive, Send], Any] | None = None

    def build(self) -> Callable[[Scope, Receive, Send], Any]:
        if self._app is None:
            module, _, function = self.factory.partition(":")
            self._app = getattr(import_module(module), function)()
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.build()(scope, receive, send)


class FlightdeckPlugin(AirflowPlugin):
    """Mounts the Releases app at ``/flightdeck`` and adds "Releases" to the navigation, embedded at
    ``/plugin/releases``."""

    name = "flightdeck"
    fastapi_apps = [
        {"app": LazyApp("flightdeck.web.app:create_app"), "url_prefix": URL_PREFIX, "name": "Flightdeck releases"}
    ]
    external_views = [
        {
            "name": "Releases",
            "href": PAGE,
            "destination": "nav",
            "url_route": "releases",
            "nav_top_level": True,
        }
    ]
