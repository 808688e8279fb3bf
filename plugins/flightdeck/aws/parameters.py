"""Resolve a target's stack parameters: literals, SSM parameters of the target account, release values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from botocore.exceptions import ClientError

from flightdeck.aws.session import AccountSession
from flightdeck.errors import FlightdeckError

KINDS = ("literal", "ssm", "release")


def resolve_parameters(
    session: AccountSession,
    sources: Sequence[tuple[str, str, str]],
    *,
    release: Mapping[str, str],
) -> dict[str, str]:
    """Each ``(name, kind, value)`` source to its value; ``ssm`` values are read in the session's account.

    :param session: session in the target account and region.
    :param sources: ``literal`` (the value itself), ``ssm`` (a parameter path, read with
        ``ssm:GetParameter`` and decryption) or ``release`` (a key of ``release``, e.g. ``version``).
    :param release: values of this release, e.g. ``{"version": "1.2.0", "run_id": "..."}``.
    """
    resolved: dict[str, str] = {}
    for name, kind, value in sources:
        if kind == "literal":
            resolved[name] = value
        elif kind == "ssm":
            resolved[name] = read_ssm_parameter(session, value)
        elif kind == "release":
            if value not in release:
                known = ", ".join(sorted(release))
                raise FlightdeckError(f"Parameter {name}: unknown release value {value!r} (known: {known})")
            resolved[name] = release[value]
        else:
            raise FlightdeckError(f"Parameter {name}: unknown source kind {kind!r} (one of {', '.join(KINDS)})")
    return resolved


def read_ssm_parameter(session: AccountSession, path: str) -> str:
    """The decrypted value of SSM parameter ``path`` in the session's account (``ssm:GetParameter``)."""
    where = f"in account {session.account_id}, region {session.region}"
    try:
        response = session.client("ssm").get_parameter(Name=path, WithDecryption=True)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "ParameterNotFound":
            raise FlightdeckError(f"SSM parameter {path} does not exist {where}; create it first") from err
        raise FlightdeckError(f"Cannot read SSM parameter {path} {where}: {err}") from err
    return response["Parameter"]["Value"]
