"""Every CloudFormation stack status is classified: may a release change the stack now, and what should a human do."""

from __future__ import annotations

import botocore.session
import pytest

from flightdeck import naming
from flightdeck.aws.stack_guidance import guidance
from flightdeck.aws.stacks import StackState, blocked_error, stack_availability
from flightdeck.errors import FlightdeckError

# The statuses AWS documents today: a status AWS adds fails test_every_aws_status_is_classified until it is here.
AWS_STATUSES = botocore.session.get_session().get_service_model("cloudformation").shape_for("StackStatus").enum
ACCOUNT, REGION = "111111111111", "eu-west-1"
RUN = "manual__2026-11-28T09:00:00+00:00"
CLEAR = "clear the `prepare` group of target `<environment>/111111111111/eu-west-1` in Airflow"
WAIT = ("wait for it to end", "one release per application at a time", CLEAR)
CONTINUE = "`aws cloudformation continue-update-rollback --stack-name hello-dev --region eu-west-1`"
DELETE = "`aws cloudformation delete-stack --stack-name hello-dev --region eu-west-1`"
ROLLBACK = "`aws cloudformation rollback-stack --stack-name hello-dev --region eu-west-1`"
ADMIN = "With an admin role in account 111111111111, region eu-west-1"

# status: (may a release change the stack now, phrases the guidance must contain; none: no guidance)
EXPECTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "CREATE_COMPLETE": ("free", ()),
    "UPDATE_COMPLETE": ("free", ()),
    "IMPORT_COMPLETE": ("free", ()),
    "CREATE_IN_PROGRESS": ("busy", WAIT),
    "UPDATE_IN_PROGRESS": ("busy", WAIT),
    "ROLLBACK_IN_PROGRESS": ("busy", WAIT),
    "UPDATE_ROLLBACK_IN_PROGRESS": ("busy", WAIT),
    "IMPORT_IN_PROGRESS": ("busy", WAIT),
    "IMPORT_ROLLBACK_IN_PROGRESS": ("busy", WAIT),
    "DELETE_IN_PROGRESS": ("busy", ("being deleted", "wait until it is gone", CLEAR)),
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": ("busy", ("Wait for UPDATE_COMPLETE", CLEAR)),
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": ("busy", ("Wait for UPDATE_ROLLBACK_COMPLETE", "release again")),
    "REVIEW_IN_PROGRESS": ("free", ("never created", "change sets nobody executed", DELETE)),
    "DELETE_COMPLETE": ("free", ("was deleted", "the next release creates it again")),
    "CREATE_FAILED": ("free", ("rollback disabled", ADMIN, ROLLBACK, CLEAR)),
    "UPDATE_FAILED": ("free", ("rollback disabled", "release again", ROLLBACK)),
    "ROLLBACK_COMPLETE": ("free", ("Creating stack hello-dev failed", "Flightdeck deletes a ROLLBACK_COMPLETE stack")),
    "UPDATE_ROLLBACK_COMPLETE": ("free", ("the previous version still runs", "release again")),
    "IMPORT_ROLLBACK_COMPLETE": ("free", ("import", "as it was before")),
    "UPDATE_ROLLBACK_FAILED": (
        "stuck",
        ("refuses every change", ADMIN, "resources named above", CONTINUE, "--resources-to-skip", CLEAR),
    ),
    "ROLLBACK_FAILED": ("stuck", ("can only be deleted", ADMIN, DELETE, CLEAR)),
    "DELETE_FAILED": ("stuck", ("can only be deleted again", ADMIN, DELETE, "--retain-resources", CLEAR)),
    "IMPORT_ROLLBACK_FAILED": ("stuck", ("refuses every change", ADMIN, "resources named above", CLEAR)),
}


def test_every_aws_status_is_classified() -> None:
    unclassified = sorted(set(AWS_STATUSES) - set(EXPECTED))
    assert not unclassified, f"classify these in stacks.stack_availability and stack_guidance: {unclassified}"
    assert set(EXPECTED) == set(AWS_STATUSES)


@pytest.mark.parametrize(("status", "availability", "phrases"), [(s, *e) for s, e in EXPECTED.items()])
def test_status(status: str, availability: str, phrases: tuple[str, ...]) -> None:
    assert stack_availability(status) == availability
    text = guidance(status, "hello-dev", ACCOUNT, REGION)
    if not phrases:
        assert text == ""
        return
    assert "hello-dev" in text
    assert "{" not in text  # every placeholder filled
    for phrase in phrases:
        assert phrase in text
    if availability != "free":  # the error refusing the release must say where to act
        assert ACCOUNT in text
        assert REGION in text


def test_an_operation_in_progress_names_its_status() -> None:
    assert "An operation (UPDATE_ROLLBACK_IN_PROGRESS) is running on stack hello-dev" in guidance(
        "UPDATE_ROLLBACK_IN_PROGRESS", "hello-dev", ACCOUNT, REGION
    )


def test_unknown_statuses() -> None:
    assert guidance("SOMETHING_NEW", "hello-dev", ACCOUNT, REGION) == ""
    assert "wait for it to end" in guidance("EXPORT_IN_PROGRESS", "hello-dev", ACCOUNT, REGION)
    with pytest.raises(FlightdeckError, match="Unknown CloudFormation status"):
        stack_availability("SOMETHING_NEW")


def _stack(status: str, **tags: str) -> StackState:
    return StackState("hello-dev", "stack-id", status, "", tags=tags)


def test_a_free_stack_is_not_blocked() -> None:
    for status in ("UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE"):
        assert blocked_error(_stack(status), account=ACCOUNT, region=REGION) is None


def test_a_busy_stack_names_the_run_operating_on_it() -> None:
    error = blocked_error(_stack("UPDATE_IN_PROGRESS", **{naming.RUN_ID_TAG: RUN}), account=ACCOUNT, region=REGION)
    assert error is not None
    assert (error.account, error.region, error.stack, error.status) == (
        ACCOUNT,
        REGION,
        "hello-dev",
        "UPDATE_IN_PROGRESS",
    )
    assert str(error).startswith(
        f"Stack hello-dev is busy: run {RUN} is operating on it (its flightdeck:run-id tag) "
        "(account 111111111111, region eu-west-1, stack hello-dev, status UPDATE_IN_PROGRESS): What to do: "
    )
    assert "wait for it to end" in error.reason


def test_a_busy_stack_without_run_tag() -> None:
    error = blocked_error(_stack("DELETE_IN_PROGRESS"), account=ACCOUNT, region=REGION)
    assert error is not None
    assert str(error).startswith("Stack hello-dev is busy: another operation is running (account 111111111111")


def test_a_stuck_stack_says_what_failed_and_what_to_do() -> None:
    failures = "FunctionRole (AWS::IAM::Role) UPDATE_FAILED during rollback: Role flightdeck-fn not found"
    stack = _stack("UPDATE_ROLLBACK_FAILED", **{naming.RUN_ID_TAG: RUN})
    error = blocked_error(stack, account=ACCOUNT, region=REGION, failures=failures)
    assert error is not None
    assert str(error).startswith(
        f"Stack hello-dev is stuck: no release can change it until it is repaired (last released by run {RUN}, "
        "its flightdeck:run-id tag) (account 111111111111, region eu-west-1, stack hello-dev, "
        "status UPDATE_ROLLBACK_FAILED)"
    )
    first, advice = error.reason.split("\n")
    assert first == failures
    assert advice.startswith("What to do: The update of stack hello-dev failed and so did its rollback")
    assert CONTINUE in advice
