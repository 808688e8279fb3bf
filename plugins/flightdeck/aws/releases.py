"""The record of a target's last verified release, kept in its account's artifact bucket (for rollback)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from flightdeck.aws.session import AccountSession
from flightdeck.errors import FlightdeckError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReleaseRecord:
    """What a target ran when its smoke tests last passed: enough to deploy exactly that again.

    The template (and the code it points at) is content-addressed in the artifact bucket, so it never changes;
    parameters are recorded as where each value came from and which version was read (``ssm:<path>@<version>``,
    ``secretsmanager:<id>@<VersionId>``, ``literal``, ``release``), never as values.

    :param application: application name.
    :param environment: environment name.
    :param stack_name: the target's stack.
    :param version: the release's version.
    :param run_id: the DAG run that deployed it.
    :param digest: the package digest.
    :param template_url: the packaged template's S3 URL.
    :param parameter_versions: parameter name → version marker.
    :param recorded_at: when it was recorded (ISO 8601, UTC).
    """

    application: str
    environment: str
    stack_name: str
    version: str
    run_id: str
    digest: str
    template_url: str
    parameter_versions: dict[str, str] = field(default_factory=dict)
    recorded_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReleaseRecord:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


def record_key(application: str, stack_name: str) -> str:
    """Where a stack's record lives in the artifact bucket."""
    return f"{application}/releases/{stack_name}.json"


def write_release_record(session: AccountSession, bucket: str, record: ReleaseRecord) -> str:
    """Store ``record`` as the stack's last verified release (``s3:PutObject``); returns its ``s3://`` URI."""
    key = record_key(record.application, record.stack_name)
    body = json.dumps(record.to_dict(), sort_keys=True, indent=2).encode()
    try:
        session.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    except ClientError as err:
        raise FlightdeckError(
            f"Cannot record the release of {record.stack_name} in s3://{bucket}/{key} (account "
            f"{session.account_id}, region {session.region}): {err}"
        ) from err
    log.info("Recorded %s %s as its last verified release: s3://%s/%s", record.stack_name, record.version, bucket, key)
    return f"s3://{bucket}/{key}"


def read_release_record(
    session: AccountSession, bucket: str, application: str, stack_name: str
) -> ReleaseRecord | None:
    """The stack's last verified release (``s3:GetObject``), ``None`` when none was ever recorded."""
    key = record_key(application, stack_name)
    try:
        body = session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise FlightdeckError(
            f"Cannot read the release record s3://{bucket}/{key} (account {session.account_id}, region "
            f"{session.region}): {err}"
        ) from err
    return ReleaseRecord.from_dict(json.loads(body))
