"""``flightdeck ledger upgrade``: create or migrate the release ledger's tables (tasks also do it on first use)."""

from __future__ import annotations

import argparse

from flightdeck.commands import Command


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["upgrade"], help="upgrade: migrate the ledger to the current schema")
    parser.add_argument(
        "--ledger",
        help="SQLAlchemy URL of the ledger (default: the Airflow connection flightdeck_ledger, else "
        "$AIRFLOW_HOME/flightdeck-ledger.db)",
    )


def _run(args: argparse.Namespace) -> int:
    from flightdeck.ledger import ledger_url, upgrade
    from flightdeck.ledger.migrate import current_revision

    url = args.ledger or ledger_url()
    upgrade(url)
    print(f"The release ledger at {url} is at revision {current_revision(url)}.")
    return 0


COMMAND = Command("ledger", "create or migrate the release ledger's tables", _configure, _run)
