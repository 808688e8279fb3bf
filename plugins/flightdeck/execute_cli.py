"""``flightdeck execute CHANGE_SET_ARN``: an account owner executes an approved change set with their own rights."""

from __future__ import annotations

import argparse
import re

from flightdeck.commands import Command
from flightdeck.errors import FlightdeckError

_CHANGE_SET_ARN = re.compile(
    r"arn:aws[a-z-]*:cloudformation:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):changeSet/[^/]+/[\w-]+", re.ASCII
)


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("change_set", metavar="CHANGE_SET_ARN", help="the change set's ARN, as the approval shows it")
    parser.add_argument(
        "--profile", help="AWS profile with the account owner's credentials (default: the usual AWS credential chain)"
    )


def _run(args: argparse.Namespace) -> int:
    import boto3

    from flightdeck.aws.cloudformation import execute_change_set
    from flightdeck.aws.session import AccountSession
    from flightdeck.aws.stacks import classify_status

    match = _CHANGE_SET_ARN.fullmatch(args.change_set)
    if match is None:
        raise FlightdeckError(
            f"{args.change_set!r} is not a change set ARN: copy it from the approval "
            "(arn:aws:cloudformation:<region>:<account>:changeSet/<name>/<id>)"
        )
    session = AccountSession(boto3.Session(profile_name=args.profile), region=match["region"])
    if session.account_id != match["account"]:
        raise FlightdeckError(
            f"your credentials are for account {session.account_id}, the change set is in {match['account']}: "
            "use the account owner's credentials (--profile)"
        )
    described = session.client("cloudformation").describe_change_set(ChangeSetName=args.change_set)
    stack_name = described["StackName"]
    print(f"Executing {described['ChangeSetName']} on {stack_name} in {match['account']}/{match['region']}…")
    stack = execute_change_set(session, stack_name=stack_name, change_set_id=args.change_set)
    print(f"{stack.name}: {stack.status}")
    return 0 if classify_status(stack.status) == "complete" else 1


COMMAND = Command("execute", "execute an approved change set as its account's owner", _configure, _run)
