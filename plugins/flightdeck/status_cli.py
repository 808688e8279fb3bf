"""``flightdeck status``: the release ledger compared with the live stacks; exit status 1 when they differ."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from flightdeck import naming
from flightdeck.commands import Command
from flightdeck.errors import FlightdeckError

if TYPE_CHECKING:
    from flightdeck.aws.stacks import StackState
    from flightdeck.ledger import Ledger
    from flightdeck.plan import ReleasePlan, Target
    from flightdeck.status import TargetStatus

DEFAULT_MANIFESTS = Path(__file__).resolve().parents[2] / "include" / "manifests"


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--manifests",
        type=Path,
        default=Path(os.environ.get("FLIGHTDECK_MANIFESTS_DIR", DEFAULT_MANIFESTS)),
        help="directory of release manifests (default: $FLIGHTDECK_MANIFESTS_DIR, else include/manifests)",
    )
    parser.add_argument("-a", "--application", help="only this application")
    parser.add_argument("-e", "--environment", help="only this environment")
    parser.add_argument(
        "--ledger",
        help="SQLAlchemy URL of the ledger (default: the Airflow connection flightdeck_ledger, else "
        "$AIRFLOW_HOME/flightdeck-ledger.db)",
    )
    parser.add_argument(
        "--aws-conn-id", help="Airflow connection of the orchestrator's AWS identity (default: the manifest's)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON document instead of a table")


def _run(args: argparse.Namespace) -> int:
    from flightdeck.ledger import Ledger, ledger_url
    from flightdeck.pipeline import release_plans

    plans, problems = release_plans(args.manifests)
    for problem in problems:
        print(f"skipped: {problem}", file=sys.stderr)
    plans = [plan for plan in plans if args.application in (None, plan.application)]
    if args.application and not plans:
        raise FlightdeckError(f"no valid manifest in {args.manifests} releases {args.application}")
    with _logs_to_stderr(), Ledger(args.ledger or ledger_url()) as ledger:
        statuses = [status for plan in plans for status in _statuses(plan, ledger, args)]
    if args.json:
        print(json.dumps([status.to_dict() for status in statuses], indent=2))
    else:
        _print_table(statuses)
    return 1 if any(status.problems for status in statuses) else 0


@contextlib.contextmanager
def _logs_to_stderr() -> Iterator[None]:
    """The report alone on stdout: what the work logs goes to stderr. Airflow's logging may write to ``sys.stdout``
    or to a stream it kept on file descriptor 1, so both are pointed at stderr for a while."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _statuses(plan: ReleasePlan, ledger: Ledger, args: argparse.Namespace) -> list[TargetStatus]:
    """Every target of the plan (listed, or recorded in the ledger), its record next to its stack."""
    from flightdeck.ledger import LedgerError
    from flightdeck.status import TargetStatus, differences, expected_release

    statuses = []
    for environment in plan.environments:
        if args.environment not in (None, environment.name):
            continue
        try:
            recorded = ledger.latest_by_target(application=plan.application, environment=environment.name)
        except LedgerError as err:
            if "upgrade" not in str(err):
                raise
            recorded = ()  # no release has written the ledger yet
        labels = [target.label for target in environment.targets]
        labels += [
            label
            for label in (naming.target_label(a.environment, a.account_id, a.region) for a in recorded)
            if label not in labels
        ]
        catalog = environment.catalog
        for label in labels:
            _, account_id, region = label.split("/")
            history = (
                ledger.history(plan.application, environment=environment.name, account_id=account_id, region=region)
                if recorded
                else ()
            )
            expected = expected_release(history)
            try:
                target = catalog[label]
            except KeyError:
                stack_name = history[0].stack_name if history else ""
                problem = "the target is not in the manifest any more: its stack is not checked"
                where = (plan.application, environment.name, account_id, region, stack_name)
                statuses.append(TargetStatus(*where, expected, None, (problem,)))
                continue
            stack, problems = _live(plan, target, args.aws_conn_id)
            statuses.append(
                TargetStatus(
                    plan.application,
                    environment.name,
                    account_id,
                    region,
                    target.stack_name,
                    expected,
                    stack,
                    problems or differences(expected, stack),
                )
            )
    return statuses


def _live(plan: ReleasePlan, target: Target, aws_conn_id: str | None) -> tuple[StackState | None, tuple[str, ...]]:
    """The target's stack as its deploy role sees it; or why it cannot be read."""
    from flightdeck.aws.session import assume_role
    from flightdeck.aws.stacks import describe_stack

    try:
        session = assume_role(
            aws_conn_id=aws_conn_id or plan.aws_conn_id,
            role_arn=target.deploy_role_arn,
            region=target.region,
            session_name=f"flightdeck-status-{target.account_id}",
            external_id=target.external_id,
        )
        return describe_stack(session, target.stack_name), ()
    except FlightdeckError as err:
        return None, (f"cannot read the stack: {err}",)


def _print_table(statuses: list[TargetStatus]) -> None:
    if not statuses:
        print("No targets.")
        return
    rows = [("APPLICATION", "TARGET", "STACK", "LEDGER", "STACK VERSION", "STACK STATUS", "")]
    for status in statuses:
        live = status.stack
        rows.append(
            (
                status.application,
                status.label,
                status.stack_name,
                status.expected.version if status.expected else "-",
                (live.tags.get(naming.VERSION_TAG) or "untagged") if live else "-",
                live.status if live else "no stack",
                "in sync" if not status.problems else "DIFFERS: " + "; ".join(status.problems),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row[:6], widths, strict=True)), row[6])
    differing = sum(1 for status in statuses if status.problems)
    print(f"\n{len(statuses)} target(s), {differing} differ from the ledger.")


COMMAND = Command(
    "status", "compare the release ledger with the live stacks (exit 1 when they differ)", _configure, _run
)
