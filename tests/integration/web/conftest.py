"""Fixtures of the Releases page's auth tests: one real api-server for the session (releases_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from releases_server import ApiServer, running_api_server


@pytest.fixture(scope="session")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with running_api_server(tmp_path_factory.mktemp("releases-airflow")) as server:
        yield server
