"""The plugin as Airflow finds it: scanned from the plugins folder once, cheap to load, the app built lazily."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from airflow.plugins_manager import _load_plugins_from_plugin_directory
from starlette.testclient import TestClient

from flightdeck.web.plugin import FlightdeckPlugin, LazyApp

PLUGINS = Path(__file__).resolve().parents[3] / "plugins"


def test_airflow_finds_the_plugin_once_in_the_plugins_folder() -> None:
    plugins, errors = _load_plugins_from_plugin_directory(str(PLUGINS), ignore_file_syntax="glob")
    assert errors == {}
    assert [type(plugin).__name__ for plugin in plugins] == ["FlightdeckPlugin"]
    [plugin] = plugins
    assert plugin.name == "flightdeck"
    assert [(app["url_prefix"], type(app["app"])) for app in plugin.fastapi_apps] == [("/flightdeck", LazyApp)]
    assert plugin.external_views == [
        {
            "name": "Releases",
            "href": "flightdeck/releases",
            "destination": "nav",
            "url_route": "releases",
            "nav_top_level": True,
        }
    ]


def test_loading_the_plugin_imports_no_app_code() -> None:
    """Every Airflow process (each task too) loads plugins; only the api-server's first request builds the app."""
    code = (
        "import sys, airflow.sdk.plugins_manager; before = set(sys.modules); import flightdeck_plugin; "
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    env = {**os.environ, "PYTHONPATH": str(PLUGINS)}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    loaded = run.stdout.split()
    assert loaded == [
        "flightdeck",
        "flightdeck.web",
        "flightdeck.web.links",
        "flightdeck.web.plugin",
        "flightdeck_plugin",
    ]


def test_the_lazy_app_builds_the_releases_app_on_its_first_request() -> None:
    lazy = LazyApp("flightdeck.web.app:create_app")
    assert lazy._app is None
    response = TestClient(lazy).get("/releases")
    assert response.status_code == 401  # built, and guarded: no token
    assert lazy.build() is lazy.build()
    assert FlightdeckPlugin.fastapi_apps[0]["app"].factory == lazy.factory
