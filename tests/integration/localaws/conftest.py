"""Fixtures of the emulator's tests: every fidelity scenario runs on the fixed server and on plain moto."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from localaws_helpers import Emulator

from flightdeck.localaws.server import LocalAws


@pytest.fixture(scope="session")
def stock_aws_server() -> Iterator[LocalAws]:
    """Plain moto (``--stock``), to prove that each fix is needed."""
    with LocalAws(stock=True) as server:
        yield server


@pytest.fixture(params=["fixed", "stock"])
def emulator(request: pytest.FixtureRequest, local_aws: str) -> Emulator:
    """A freshly reset emulator: Flightdeck's (``fixed``) or plain moto (``stock``)."""
    if request.param == "fixed":
        return Emulator(endpoint_url=local_aws, stock=False)
    server: LocalAws = request.getfixturevalue("stock_aws_server")
    server.reset()
    return Emulator(endpoint_url=server.endpoint_url, stock=True)


@pytest.fixture
def fixed(local_aws: str) -> Emulator:
    """Flightdeck's emulator only, for behaviour plain moto has no counterpart of."""
    return Emulator(endpoint_url=local_aws, stock=False)
