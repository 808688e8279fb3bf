"""Tests of the region list against botocore's commercial partition."""

from __future__ import annotations

import pytest

from flightdeck.manifest import COMMERCIAL_REGIONS


def test_regions_match_botocore_commercial_partition() -> None:
    botocore_session = pytest.importorskip("botocore.session")
    endpoints = botocore_session.get_session().get_data("endpoints")
    [aws] = [partition for partition in endpoints["partitions"] if partition["partition"] == "aws"]
    assert set(aws["regions"]) == COMMERCIAL_REGIONS
