"""``flightdeck config``: list, get, set, unset and diff an environment's configuration in its own accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from flightdeck.commands import Command
from flightdeck.errors import FlightdeckError
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, Target, build_plan

if TYPE_CHECKING:  # the aws layer imports Airflow's Amazon provider: slow, so only when AWS is called
    from flightdeck.aws.config_store import ConfigEntry, ConfigStore, KeyComparison

Row = tuple[str, ...]
SECRET_ON_COMMAND_LINE = (
    "refusing to take a secret value from the command line: command lines end up in shell history and are "
    "visible to other users of this machine (ps). Pipe it instead (... | flightdeck config set MANIFEST KEY "
    "--secret --env ENV), type it when asked, or use --from-file PATH. If that value is a real secret, treat it "
    "as exposed and rotate it."
)


def configure(parser: argparse.ArgumentParser) -> None:
    """The ``list``, ``get``, ``set``, ``unset`` and ``diff`` actions and their arguments."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("manifest", type=Path, metavar="MANIFEST", help="the application's release manifest")
    common.add_argument("--env", required=True, help="the environment whose configuration to use")
    common.add_argument("--account", action="append", default=[], metavar="ID", help="only this account (repeatable)")
    common.add_argument("--region", action="append", default=[], help="only this region (repeatable)")
    actions.add_parser("list", parents=[common], help="keys per target; plain values shown, secrets only marked")
    get = actions.add_parser("get", parents=[common], help="a key's value in every target")
    get.add_argument("key", metavar="KEY", help="the key, e.g. greeting")
    get.add_argument("--reveal", action="store_true", help="print a secret's value too (to stdout only)")
    set_ = actions.add_parser("set", parents=[common], help="set a plain key, or a secret read from stdin or a file")
    set_.add_argument("key", metavar="KEY", help="the key, e.g. greeting")
    set_.add_argument("value", nargs="?", metavar="VALUE", help="the plain value (never a secret's: see --secret)")
    set_.add_argument("--secret", action="store_true", help="a Secrets Manager secret, read from stdin or --from-file")
    set_.add_argument("--from-file", type=Path, metavar="PATH", help="read the secret from this file, as is")
    unset = actions.add_parser("unset", parents=[common], help="delete a key in every target")
    unset.add_argument("key", metavar="KEY", help="the key, e.g. greeting")
    unset.add_argument("--secret", action="store_true", help="delete the secret (after a 7-day recovery window)")
    unset.add_argument("--without-recovery", action="store_true", help="delete the secret at once, for good")
    diff = actions.add_parser("diff", parents=[common], help="compare the configuration of two environments")
    diff.add_argument("--other-env", required=True, help="the environment to compare with")


def run(args: argparse.Namespace) -> int:
    """Do the chosen action; 0 on success, 1 if any target failed (each failure printed to stderr)."""
    actions = {"list": _list, "get": _get, "set": _set, "unset": _unset, "diff": _diff}
    return actions[args.action](args)


COMMAND = Command(
    name="config",
    help="list, get, set, unset and diff an environment's configuration (SSM parameters and secrets)",
    configure=configure,
    run=run,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``flightdeck config`` on its own (as ``flightdeck.cli.main`` does once it is registered)."""
    parser = argparse.ArgumentParser(prog="flightdeck config", description=COMMAND.help)
    configure(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        return run(args)
    except FlightdeckError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def select_targets(
    plan: ReleasePlan, environment: str, *, accounts: Sequence[str] = (), regions: Sequence[str] = ()
) -> tuple[Target, ...]:
    """The targets of ``environment``, narrowed to ``accounts`` and ``regions`` when given."""
    found = [env for env in plan.environments if env.name == environment]
    if not found:
        names = ", ".join(env.name for env in plan.environments)
        raise FlightdeckError(f"{plan.application} has no environment {environment!r} (it has: {names})")
    targets = tuple(
        target
        for target in found[0].targets
        if (not accounts or target.account_id in accounts) and (not regions or target.region in regions)
    )
    if not targets:
        labels = ", ".join(target.label for target in found[0].targets)
        raise FlightdeckError(f"no target of {environment} matches --account/--region (its targets: {labels})")
    return targets


def pair_targets(left: Sequence[Target], right: Sequence[Target]) -> tuple[list[tuple[Target, Target]], list[str]]:
    """Corresponding targets of two environments, and notes on how they were paired and what was left out.

    The same accounts on both sides pair by account and region; otherwise the first target of each region
    on one side pairs with the first of the same region on the other.
    """
    same_accounts = {t.account_id for t in left} == {t.account_id for t in right}
    notes: list[str] = []
    if same_accounts:
        places = {(t.account_id, t.region): t for t in right}
        pairs = [(t, places[t.account_id, t.region]) for t in left if (t.account_id, t.region) in places]
    else:
        ours, theirs = _first_per_region(left), _first_per_region(right)
        pairs = [(target, theirs[region]) for region, target in ours.items() if region in theirs]
        notes.append(
            f"{left[0].environment} and {right[0].environment} are in different accounts: comparing the first "
            "target of each region"
        )
    paired = {t.label for pair in pairs for t in pair}
    regions = {a.region for a, _ in pairs}
    for side, other in ((left, right), (right, left)):
        for target in side:
            if target.label not in paired and (same_accounts or target.region not in regions):
                notes.append(f"{target.label} not compared: {other[0].environment} has no corresponding target")
    return pairs, notes


def _first_per_region(targets: Sequence[Target]) -> dict[str, Target]:
    firsts: dict[str, Target] = {}
    for target in targets:
        firsts.setdefault(target.region, target)
    return firsts


def table(header: Row, rows: Sequence[Row]) -> str:
    """A plain text table, columns separated by two spaces; the last column is not padded."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in (header, *rows)
    ]
    return "\n".join(line.rstrip() for line in lines)


def _list(args: argparse.Namespace) -> int:
    def work(store: ConfigStore, target: Target) -> list[Row]:
        rows = [(target.label, e.key, _type(e), e.version, _shown(e)) for e in store.entries()]
        return rows or [(target.label, "-", "", "", "")]

    rows, failures = _each(args, args.env, work)
    print(table(("TARGET", "KEY", "TYPE", "VERSION", "VALUE"), rows))
    return 1 if failures else 0


def _get(args: argparse.Namespace) -> int:
    missing: list[str] = []

    def work(store: ConfigStore, target: Target) -> list[Row]:
        entry = store.entry(args.key)
        if entry is None:
            missing.append(target.label)
            return [(target.label, "-", "", "(not set)")]
        value = store.reveal(entry) if entry.secret and args.reveal else _shown(entry)
        return [(target.label, _type(entry), entry.version, value)]

    rows, failures = _each(args, args.env, work)
    print(table(("TARGET", "TYPE", "VERSION", "VALUE"), rows))
    if missing:
        print(f"error: {args.key} is not set in {', '.join(missing)}", file=sys.stderr)
    return 1 if failures or missing else 0


def _set(args: argparse.Namespace) -> int:
    if args.secret and args.value is not None:
        raise FlightdeckError(SECRET_ON_COMMAND_LINE)
    if not args.secret and (args.value is None or args.from_file):
        raise FlightdeckError("give the plain VALUE after KEY; for a secret, add --secret and pipe it on stdin")
    value = _secret_value(args) if args.secret else args.value

    def work(store: ConfigStore, target: Target) -> list[Row]:
        entry = store.set_secret(args.key, value) if args.secret else store.set_plain(args.key, value)
        return [(target.label, entry.key, _type(entry), entry.version)]

    rows, failures = _each(args, args.env, work)
    print(table(("TARGET", "KEY", "TYPE", "VERSION"), rows))
    return 1 if failures else 0


def _unset(args: argparse.Namespace) -> int:
    deleted = "deleted" if args.without_recovery or not args.secret else "scheduled for deletion in 7 days"

    def work(store: ConfigStore, target: Target) -> list[Row]:
        done = store.unset(args.key, secret=args.secret, without_recovery=args.without_recovery)
        return [(target.label, args.key, deleted if done else "not set")]

    rows, failures = _each(args, args.env, work)
    print(table(("TARGET", "KEY", "RESULT"), rows))
    if rows and all(row[-1] == "not set" for row in rows):
        print(f"error: {args.key} is not set in any target", file=sys.stderr)
        return 1
    return 1 if failures else 0


def _diff(args: argparse.Namespace) -> int:
    from flightdeck.aws.config_store import compare

    plan = build_plan(load_manifest(args.manifest))
    narrow = {"accounts": args.account, "regions": args.region}
    left, right = select_targets(plan, args.env, **narrow), select_targets(plan, args.other_env, **narrow)
    pairs, notes = pair_targets(left, right)
    for note in notes:
        print(f"note: {note}")
    failures = 0
    for mine, other in pairs:
        print(f"\n{mine.label} vs {other.label}")
        try:
            comparisons = compare(_store(plan, mine), _store(plan, other))
        except FlightdeckError as err:
            print(f"error: {err}", file=sys.stderr)
            failures += 1
            continue
        status = {
            "equal": "equal",
            "differs": "differs",
            "only-left": f"missing in {other.environment}",
            "only-right": f"missing in {mine.environment}",
            "type-differs": "plain on one side, secret on the other",
        }
        rows = [(c.key, _kind(c), status[c.status], _shown(c.left), _shown(c.right)) for c in comparisons]
        print(table(("KEY", "TYPE", "STATUS", mine.environment.upper(), other.environment.upper()), rows))
    if not pairs:
        print(f"error: {args.env} and {args.other_env} have no targets in common regions to compare", file=sys.stderr)
    return 1 if failures or not pairs else 0


def _each(
    args: argparse.Namespace, environment: str, work: Callable[[ConfigStore, Target], list[Row]]
) -> tuple[list[Row], int]:
    """``work`` in every selected target of ``environment``: its rows, and how many targets failed."""
    plan = build_plan(load_manifest(args.manifest))
    rows: list[Row] = []
    failures = 0
    for target in select_targets(plan, environment, accounts=args.account, regions=args.region):
        try:
            rows += work(_store(plan, target), target)
        except FlightdeckError as err:
            print(f"error: {target.label}: {err}", file=sys.stderr)
            failures += 1
    return rows, failures


def _store(plan: ReleasePlan, target: Target) -> ConfigStore:
    """The environment's store in the target's account and region, through its deploy role."""
    from flightdeck.aws.config_store import ConfigStore
    from flightdeck.aws.session import assume_role

    session = assume_role(
        aws_conn_id=None,
        role_arn=target.deploy_role_arn,
        region=target.region,
        external_id=target.external_id or None,
        session_name=f"flightdeck-config.{_user()}",
    )
    return ConfigStore(session, application=plan.application, environment=target.environment)


def _secret_value(args: argparse.Namespace) -> str:
    """The secret from ``--from-file`` (as is), or stdin (one trailing newline dropped; asked for on a terminal)."""
    if args.from_file:
        try:
            value = args.from_file.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # its message quotes bytes of the file: not shown, not chained
            raise FlightdeckError(f"{args.from_file} is not UTF-8 text; Flightdeck stores text secrets only") from None
        except OSError as err:
            raise FlightdeckError(f"cannot read {args.from_file}: {err.strerror}") from err
    elif sys.stdin.isatty():
        value = getpass.getpass(f"value of secret {args.key} (not shown): ")
    else:
        value = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    if not value:
        raise FlightdeckError(f"the value of secret {args.key} is empty: pipe it on stdin or use --from-file PATH")
    return value


def _type(entry: ConfigEntry) -> str:
    if not entry.secret:
        return "plain"
    return "secret" if entry.store == "secretsmanager" else "secret (SecureString)"


def _kind(comparison: KeyComparison) -> str:
    if comparison.status == "type-differs":
        return "mixed"
    entry = comparison.left or comparison.right
    return _type(entry) if entry else ""


def _shown(entry: ConfigEntry | None) -> str:
    if entry is None:
        return "-"
    return "(secret)" if entry.secret or entry.value is None else entry.value


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "unknown"
