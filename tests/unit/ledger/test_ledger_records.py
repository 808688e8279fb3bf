"""The ledger's records: outcomes, version markers (never values), messages."""

from __future__ import annotations

import pytest

from flightdeck.errors import FlightdeckError
from flightdeck.ledger import LedgerError, Outcome
from flightdeck.ledger.records import MESSAGE_MAX, check_parameter_versions, outcome_of, short_message


@pytest.mark.parametrize(
    "marker",
    [
        "literal",
        "release",
        "ssm:/flightdeck/hello/greeting@3",
        "ssm:arn:aws:ssm:eu-west-1:111111111111:parameter/flightdeck/greeting@12",
        "secretsmanager:flightdeck/hello/api-token@3f1c0de5-7a9b-4c6e-9d2a-0b1e2f3a4b5c",
        "secretsmanager:arn:aws:secretsmanager:eu-west-1:111111111111:secret:db@pass-AbCdEf@EXAMPLE1-90ab",
    ],
)
def test_version_markers_are_accepted(marker: str) -> None:
    assert check_parameter_versions({"Parameter": marker}) == {"Parameter": marker}


@pytest.mark.parametrize(
    "value",
    [
        "hunter2",
        "ssm:/flightdeck/hello/greeting",  # no version
        "ssm:/flightdeck/hello/greeting@latest",
        "secretsmanager:token@",
        "literal:eu-west-1",
        "ssm:/path with space@3",
        "",
        3,
    ],
)
def test_anything_else_is_refused_without_being_repeated(value: object) -> None:
    with pytest.raises(LedgerError, match=r"parameter_versions\['Password'\] is not a version marker") as caught:
        check_parameter_versions({"Password": value})  # type: ignore[dict-item]

    if isinstance(value, str) and value:
        assert value not in str(caught.value)


def test_outcomes_are_a_closed_set() -> None:
    assert [outcome.value for outcome in Outcome] == [
        "in_progress",
        "succeeded",
        "failed",
        "rolled_back",
        "never_started",
    ]
    assert outcome_of("rolled_back") is Outcome.ROLLED_BACK
    with pytest.raises(LedgerError, match="Unknown deployment outcome 'ok' \\(one of in_progress, succeeded"):
        outcome_of("ok")


def test_ledger_errors_are_flightdeck_errors() -> None:
    assert issubclass(LedgerError, FlightdeckError)


def test_short_messages_are_kept_and_long_ones_cut() -> None:
    assert short_message(None) is None
    assert short_message("stack failed") == "stack failed"
    assert short_message("x" * MESSAGE_MAX) == "x" * MESSAGE_MAX
    assert short_message("x" * (MESSAGE_MAX + 1)) == "x" * (MESSAGE_MAX - 1) + "…"
