"""The approval Markdown of a wave: warnings first, then the targets' table, their details, the run link, the hint."""

from __future__ import annotations

import json

from flightdeck.changes import (
    SECRET_CHANGED,
    SECRET_MASK,
    ChangeSummary,
    Flag,
    FlagKind,
    ParameterChange,
    ResourceChange,
    TagChange,
    TargetReview,
    review_markdown,
)

RISKY = ChangeSummary(
    resources=(
        ResourceChange("Modify", "Function", "AWS::Lambda::Function", "False", "both", ("Environment",)),
        ResourceChange("Modify", "Table", "AWS::DynamoDB::Table", "True", "template", ("TableName",)),
    ),
    parameters=(
        ParameterChange("DbPassword", SECRET_MASK, SECRET_CHANGED, secret=True, version="secretsmanager:db@v2"),
        ParameterChange("Greeting", "a|b", "hello `world`"),
        ParameterChange("Empty", None, ""),
    ),
    tags=(TagChange("team", "web", "payments"),),
    flags=(
        Flag(
            FlagKind.STATEFUL_REPLACED, "Table", "AWS::DynamoDB::Table", "`Table` (AWS::DynamoDB::Table) is replaced."
        ),
    ),
)
CALM = ChangeSummary(resources=(ResourceChange("Modify", "Function", "AWS::Lambda::Function", "False"),))
NETWORK = ChangeSummary(
    resources=(ResourceChange("Modify", "Web", "AWS::EC2::SecurityGroup", "False"),),
    flags=(Flag(FlagKind.NETWORK_BROADENED, "Web", "AWS::EC2::SecurityGroup", "`Web` opens 22 to 0.0.0.0/0."),),
)
ARN = "arn:aws:cloudformation:eu-west-1:111111111111:changeSet/release-1/abc"


def review(label: str, summary: ChangeSummary, kind: str = "UPDATE") -> TargetReview:
    return TargetReview(label, "hello-prod", f"{ARN}-{label[-1]}", f"release-{label[-1]}", kind, summary)


def render(*targets: TargetReview, hint: str | None = None) -> str:
    return review_markdown(
        targets,
        version="1.4.0",
        triggered_by="ana",
        approvers=["bo", "cy"],
        run_link="https://airflow.example/runs/1",
        execution_hint=hint,
    )


def test_layout_warnings_table_details_link_hint() -> None:
    text = render(
        review("prod/1", RISKY),
        review("prod/2", ChangeSummary()),
        review("prod/3", NETWORK),
        hint="Approving executes these change sets now.",
    )
    positions = [
        text.index("**Version `1.4.0`**, triggered by `ana`. May approve: `bo`, `cy`."),
        text.index("- ⚠️ **prod/1**: `Table` (AWS::DynamoDB::Table) is replaced."),
        text.index("- ⚠️ **prod/3**: `Web` opens 22 to 0.0.0.0/0."),
        text.index("| target | stack | type | changes | change set |"),
        text.index("### prod/1"),
        text.index("### prod/3"),
        text.index("[Open the run](https://airflow.example/runs/1)"),
        text.index("Approving executes these change sets now."),
    ]
    assert positions == sorted(positions)
    assert text.endswith("Approving executes these change sets now.")


def test_table_has_every_target_with_headline_and_change_set_id() -> None:
    text = render(review("prod/1", RISKY), review("prod/2", ChangeSummary()), review("prod/3", CALM, "CREATE"))
    rows = [line for line in text.splitlines() if line.startswith("| prod/")]
    assert rows == [
        f"| prod/1 | hello-prod | UPDATE | {RISKY.headline()} | `{ARN}-1` |",
        f"| prod/2 | hello-prod | — | no changes | `{ARN}-2` |",
        f"| prod/3 | hello-prod | CREATE | +0 ~1 -0 | `{ARN}-3` |",
    ]
    assert "### prod/2" not in text  # nothing to detail


def test_details_show_replacement_parameters_and_tags() -> None:
    text = render(review("prod/1", RISKY))
    assert "| Modify | `Table` | AWS::DynamoDB::Table | **yes** | TableName |" in text
    assert "| Modify | `Function` | AWS::Lambda::Function | no | Environment |" in text
    assert "| `DbPassword` | (secret) | (secret changed), now `secretsmanager:db@v2` |" in text
    assert "| `Greeting` | `a\\|b` | `` hello `world` `` |" in text
    assert "| `Empty` | — | (empty) |" in text
    assert "| `team` | `web` | `payments` |" in text


def test_no_warnings_says_so() -> None:
    text = render(review("prod/1", CALM))
    assert "⚠️" not in text
    assert "No warnings" in text.split("| target |")[0]


def test_target_review_round_trips() -> None:
    target = review("prod/1", RISKY)
    assert TargetReview.from_dict(json.loads(json.dumps(target.to_dict()))) == target
