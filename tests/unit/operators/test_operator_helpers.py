"""Pure helpers of the operators: the release tags of a stack and the approver's review."""

from __future__ import annotations

from flightdeck import naming
from flightdeck.operators.change_set import release_tags
from flightdeck.operators.review import change_review_markdown

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


def _change_set(label: str, changes: list[dict[str, str]]) -> dict:
    return {
        "label": label,
        "stack_name": "hello-prod",
        "name": f"cs-{label}",
        "change_set_type": "UPDATE",
        "is_empty": not changes,
        "changes": changes,
    }


def test_review_lists_every_target_and_puts_warnings_first() -> None:
    body = change_review_markdown(
        [
            _change_set(
                "prod/333333333333/eu-west-1",
                [
                    {
                        "action": "Modify",
                        "logical_id": "Fn",
                        "resource_type": "AWS::Lambda::Function",
                        "replacement": "False",
                    },
                    {
                        "action": "Remove",
                        "logical_id": "Table",
                        "resource_type": "AWS::DynamoDB::Table",
                        "replacement": "",
                    },
                ],
            ),
            _change_set("prod/333333333333/us-east-1", []),
        ],
        version="2.0.0",
        triggered_by="release-manager",
        approvers=["approver"],
        run_link="http://airflow/dags/release__hello/runs/r1",
    )
    lines = body.splitlines()
    assert lines[0].startswith("**Version `2.0.0`**, triggered by `release-manager`")
    warning = lines.index("- ⚠️ `prod/333333333333/eu-west-1` removes `Table` (AWS::DynamoDB::Table)")
    table = lines.index("| target | stack | type | changes | change set |")
    assert warning < table
    assert "| prod/333333333333/us-east-1 | hello-prod | — | no changes | `cs-prod/333333333333/us-east-1` |" in lines
    assert lines[-1] == "[Open the run](http://airflow/dags/release__hello/runs/r1)"
