"""Stack name prefixes a bootstrapped account trusts, merged across the applications deployed to it."""

from __future__ import annotations

import pytest

from flightdeck.aws.bootstrap import merge_prefixes


@pytest.mark.parametrize(
    ("groups", "merged"),
    [
        ([(), ["hello-"]], ("hello-",)),
        ([("hello-",), ["fleet-"]], ("fleet-", "hello-")),
        ([("hello-", "fleet-"), ["hello-"]], ("fleet-", "hello-")),
        ([("hello-",), ["hello-prod"]], ("hello-",)),  # covered by a shorter prefix
        ([("hello-prod",), ["hello-"]], ("hello-",)),
        ([("hello-",), ["*"]], ("*",)),  # "*" covers every name
        ([("*",), ["fleet-"]], ("*",)),
    ],
)
def test_merge_prefixes(groups: list, merged: tuple[str, ...]) -> None:
    assert merge_prefixes(*groups) == merged
