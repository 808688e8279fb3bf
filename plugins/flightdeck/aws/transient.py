"""Which AWS errors are worth trying again: throttling, server trouble, unreachable endpoints, expired tokens."""

from __future__ import annotations

from airflow.providers.amazon.aws.utils.waiter_with_logging import RETRIABLE_ERROR_CODES
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

# Credentials that expired under a call: assuming the role again fixes them.
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
_SERVER_STATUSES = frozenset({500, 502, 503, 504})


def is_transient(err: BaseException) -> bool:
    """Whether ``err`` (or the AWS error it wraps, as ``__cause__``) may go away if the call is made again.

    botocore retries these already (adaptive mode, :data:`flightdeck.aws.session.RETRIES`); one that still
    surfaces is worth a task retry. Anything else (access denied, validation, a failed stack) is permanent: a
    retry would fail the same way.
    """
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ClientError):
            code = current.response.get("Error", {}).get("Code", "")
            status = current.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return code in RETRIABLE_ERROR_CODES or code in EXPIRED_CODES or status in _SERVER_STATUSES
        if isinstance(current, BotoConnectionError | HTTPClientError):
            return True
        if isinstance(current, BotoCoreError):
            return False
        current = current.__cause__
    return False
