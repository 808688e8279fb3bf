"""Preflight of one target: everything a release needs in its account, checked before any change set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from botocore.exceptions import ClientError

from flightdeck.aws.parameters import check_parameters
from flightdeck.aws.session import AccountSession


def check_artifact_bucket(session: AccountSession, bucket: str) -> list[str]:
    """The problem with the target's artifact bucket (``s3:ListBucket`` via ``HeadBucket``), if any."""
    try:
        session.client("s3").head_bucket(Bucket=bucket)
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        where = f"in account {session.account_id}"
        if code in ("404", "NoSuchBucket", "NotFound"):
            return [f"artifact bucket {bucket} does not exist {where}: run `flightdeck bootstrap` for this account"]
        return [f"cannot reach artifact bucket {bucket} {where}: {err}"]
    return []


def check_target(
    session: AccountSession, *, bucket: str, sources: Sequence[tuple[str, str, str]], release: Mapping[str, str]
) -> list[str]:
    """Every problem found in one target: its artifact bucket and each of its parameters."""
    return check_artifact_bucket(session, bucket) + check_parameters(session, sources, release=release)
