"""Pure helpers of the operators: the release tags of a stack, the change review's fingerprint, the dry-run report."""

from __future__ import annotations

from operator_samples import prod_target

from flightdeck import naming
from flightdeck.aws.change_review import ChangeSetSnapshot
from flightdeck.operators.change_set import release_tags
from flightdeck.operators.report import DryRunReportOperator, dry_run_markdown
from flightdeck.operators.review import review_snapshot
from flightdeck.plan import ParameterSource

TARGET_TAGS = ((naming.APPLICATION_TAG, "hello"), (naming.ENVIRONMENT_TAG, "prod"))


def test_new_version_is_tagged_with_this_run() -> None:
    tags = release_tags(TARGET_TAGS, "2.0.0", "run-2", {naming.VERSION_TAG: "1.0.0", naming.RUN_ID_TAG: "run-1"})
    assert tags == {
        naming.APPLICATION_TAG: "hello",
        naming.ENVIRONMENT_TAG: "prod",
        naming.VERSION_TAG: "2.0.0",
        naming.RUN_ID_TAG: "run-2",
    }


def test_rerelease_of_deployed_version_keeps_the_deploying_run() -> None:
    tags = release_tags(TARGET_TAGS, "1.0.0", "run-2", {naming.VERSION_TAG: "1.0.0", naming.RUN_ID_TAG: "run-1"})
    assert tags[naming.RUN_ID_TAG] == "run-1"


def test_first_release_has_no_deployed_tags() -> None:
    assert release_tags(TARGET_TAGS, "1.0.0", "run-1", {})[naming.RUN_ID_TAG] == "run-1"


TARGET = prod_target(
    ParameterSource("Greeting", "ssm", "/hello/greeting"), ParameterSource("Token", "secretsmanager", "hello/token")
)
OLD = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 3}}}}
NEW = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 5}}}}


def _snapshot(token: str = "s3cr3t-value", old: dict | None = None, greeting: str = "Hello") -> ChangeSetSnapshot:
    return ChangeSetSnapshot(
        change_set_id="arn:aws:cloudformation:eu-west-1:333333333333:changeSet/cs/1",
        status="CREATE_COMPLETE",
        execution_status="AVAILABLE",
        changes=(),
        new_template=NEW,
        old_template=OLD if old is None else old,
        new_parameters={"Greeting": greeting, "Token": token},
        old_parameters={"Greeting": "Hi", "Token": "old-s3cr3t"},
    )


VERSIONS = {"Greeting": "ssm:/hello/greeting@3", "Token": "secretsmanager:hello/token@v2"}


def test_review_never_carries_a_secret_value() -> None:
    review = review_snapshot(_snapshot(), TARGET, VERSIONS)
    text = repr(review.to_dict())
    assert "s3cr3t-value" not in text
    assert "old-s3cr3t" not in text
    assert [change.name for change in review.summary.parameters] == ["Greeting", "Token"]
    assert review.summary.resources[0].logical_id == "Fn"


def test_fingerprint_binds_what_was_reviewed() -> None:
    reviewed = review_snapshot(_snapshot(), TARGET, VERSIONS).fingerprint
    assert review_snapshot(_snapshot(), TARGET, VERSIONS).fingerprint == reviewed  # same change, same fingerprint
    # A secret enters as its version: the value alone never moves the fingerprint, a new version does.
    assert review_snapshot(_snapshot(token="another-value"), TARGET, VERSIONS).fingerprint == reviewed
    new_version = {**VERSIONS, "Token": "secretsmanager:hello/token@v3"}
    assert review_snapshot(_snapshot(), TARGET, new_version).fingerprint != reviewed
    # The stack changed underneath (another deployed template), or a parameter differs: another fingerprint.
    assert review_snapshot(_snapshot(old=NEW), TARGET, VERSIONS).fingerprint != reviewed
    assert review_snapshot(_snapshot(greeting="Howdy"), TARGET, VERSIONS).fingerprint != reviewed


def test_dry_run_report_lists_what_needs_a_person_first() -> None:
    matrix = [
        {
            "label": "dev/111111111111/eu-west-1",
            "stack_name": "hello-dev",
            "change_set_type": "CREATE",
            "headline": "+3 ~0 -0, IAM broadened",
            "flags": ["`FunctionRole` (AWS::IAM::Role): new role."],
        },
        {
            "label": "prod/333333333333/eu-west-1",
            "stack_name": "hello-prod",
            "change_set_type": "",
            "headline": "no changes",
            "flags": [],
        },
    ]
    lines = dry_run_markdown("2.0.0", matrix).splitlines()
    assert lines[0] == "# Dry run of version `2.0.0`"
    flagged = lines.index("- ⚠️ `dev/111111111111/eu-west-1`: `FunctionRole` (AWS::IAM::Role): new role.")
    assert flagged < lines.index("| target | stack | type | changes |")
    assert lines[-1] == "| prod/333333333333/eu-west-1 | hello-prod | — | no changes |"


def test_a_real_release_reports_no_dry_run_and_succeeds() -> None:
    operator = DryRunReportOperator(task_id="dry_run_report", change_set_task_ids=["dev.prepare.create_change_set"])
    result = operator.execute({"params": {"version": "2.0.0", "dry_run": False}})  # type: ignore[arg-type]
    assert result == {"dry_run": False, "version": "2.0.0"}
