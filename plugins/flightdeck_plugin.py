"""Flightdeck's Airflow plugin, where Airflow's plugin scanner finds it (docs/releases-page.md).

The scanner imports every ``.py`` file under the plugins folder as a top-level module, except what
``plugins/.airflowignore`` hides: all of ``flightdeck/``. So the plugin is exposed here, once.
"""

from __future__ import annotations

from flightdeck.web.plugin import FlightdeckPlugin

__all__ = ["FlightdeckPlugin"]
