"""boto3 sessions in one account and region: the orchestrator's own, and roles assumed in target accounts."""

from __future__ import annotations

import logging
import re
from functools import cached_property
from typing import Any

import boto3
import botocore.loaders
from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook, BaseSessionFactory
from airflow.providers.amazon.aws.utils.connection_wrapper import AwsConnectionWrapper
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from flightdeck.errors import DeploymentError, FlightdeckError

log = logging.getLogger(__name__)

# Adaptive retries back off on CloudFormation's per-account/region throttling.
RETRIES = {"mode": "adaptive", "max_attempts": 10}
MAX_SESSION_NAME = 64
# The services Flightdeck's tasks and triggers call (their models are loaded ahead by warm_models).
SERVICES = ("sts", "cloudformation", "s3", "ssm", "secretsmanager", "lambda", "organizations")
# One botocore loader for every session of the process: its cache keeps each JSON model loaded once, where a
# session of its own would read and parse them again (~0.1 s per session). The provider shares one for the
# triggerer's async sessions for the same reason.
_LOADER = botocore.loaders.create_loader()
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/[\w+=,.@/-]+$", re.ASCII)
_NOT_IN_SESSION_NAME = re.compile(r"[^\w+=,.@-]+", re.ASCII)


class AccountSession:
    """A boto3 session acting in one AWS account and region; clients are cached per service.

    :param boto_session: the underlying boto3 session (its credentials never leave this object).
    :param region: AWS region every client of this session talks to.
    :param account_id: 12-digit account id when known (from a role ARN); otherwise asked from STS once.
    :param connection: the Airflow connection settings giving per-service endpoints, TLS verification and
        botocore config; ``None`` leaves endpoint resolution to boto3 (which honours ``AWS_ENDPOINT_URL``).
    """

    def __init__(
        self,
        boto_session: boto3.session.Session,
        *,
        region: str,
        account_id: str | None = None,
        connection: AwsConnectionWrapper | None = None,
    ) -> None:
        self.boto_session = boto_session
        self.region = region
        self._account_id = account_id
        self.connection = connection
        self._clients: dict[str, BaseClient] = {}

    def __repr__(self) -> str:
        return f"AccountSession(account_id={self._account_id or '?'}, region={self.region})"

    @cached_property
    def config(self) -> Config:
        """Flightdeck's retry defaults, overridden by the connection's ``config_kwargs`` if any."""
        own = self.connection.botocore_config if self.connection else None
        # A fresh Config per session: botocore rewrites the retries dict of a Config it is given.
        default = Config(retries=dict(RETRIES))
        return default.merge(own) if own else default

    @property
    def account_id(self) -> str:
        """The account this session acts in; calls ``sts:GetCallerIdentity`` only if not known yet."""
        if self._account_id is None:
            try:
                self._account_id = self.client("sts").get_caller_identity()["Account"]
            except (ClientError, BotoCoreError) as err:
                raise FlightdeckError(f"Cannot tell which AWS account the session is in: {err}") from err
        return self._account_id

    def in_region(self, region: str) -> AccountSession:
        """The same credentials acting in another region (no new ``sts:AssumeRole``; clients of its own)."""
        if region == self.region:
            return self
        return AccountSession(self.boto_session, region=region, account_id=self._account_id, connection=self.connection)

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` in this account and region, with the connection's endpoint."""
        if service not in self._clients:
            endpoint = self.connection.get_service_endpoint_url(service) if self.connection else None
            self._clients[service] = self.boto_session.client(
                service,
                region_name=self.region,
                endpoint_url=endpoint,
                config=self.config,
                verify=self.connection.verify if self.connection else None,
            )
        return self._clients[service]


def orchestrator_session(aws_conn_id: str | None, region: str) -> AccountSession:
    """The orchestrator's own credentials: the Airflow connection's, or boto3's default chain if ``None``."""
    if aws_conn_id is None:
        return AccountSession(_shared(boto3.session.Session(region_name=region)), region=region)
    hook = AwsBaseHook(aws_conn_id=aws_conn_id, region_name=region)
    connection = hook.conn_config
    return AccountSession(_shared(hook.get_session(region_name=region)), region=region, connection=connection)


def warm_models(services: tuple[str, ...] = SERVICES) -> None:
    """Load the models of ``services`` into the shared loader, making no call (before a process forks its tasks)."""
    session = _shared(boto3.session.Session(region_name="us-east-1", aws_access_key_id="-", aws_secret_access_key="-"))
    for service in services:
        session.client(service)


def _shared(boto_session: boto3.session.Session) -> boto3.session.Session:
    """``boto_session``, reading botocore's models through the process's shared loader."""
    boto_session._session.register_component("data_loader", _LOADER)
    return boto_session


def assume_role(
    *,
    aws_conn_id: str | None,
    role_arn: str,
    region: str,
    session_name: str,
    external_id: str | None = None,
    duration_seconds: int = 3600,
) -> AccountSession:
    """Assume ``role_arn`` from the orchestrator's session (``sts:AssumeRole``); credentials auto-refresh.

    The STS endpoint is the connection's ``service_config.sts.endpoint_url`` (or boto3's default resolution,
    which honours ``AWS_ENDPOINT_URL``); other clients use the connection's ``endpoint_url``.
    """
    account_id = account_of_role(role_arn)
    base = orchestrator_session(aws_conn_id, region)
    wrapper = AwsConnectionWrapper(conn=base.connection or AwsConnectionWrapper.from_connection_metadata())
    wrapper.role_arn = role_arn
    wrapper.assume_role_method = "assume_role"
    wrapper.assume_role_kwargs = {
        "RoleSessionName": clean_session_name(session_name),
        "DurationSeconds": duration_seconds,
        **({"ExternalId": external_id} if external_id else {}),
    }
    factory = _ChainedSessionFactory(wrapper, base_session=base.boto_session, region=region, config=base.config)
    try:
        boto_session = _shared(factory.create_session())
    except (ClientError, BotoCoreError) as err:
        raise DeploymentError(
            f"Cannot assume role {role_arn}", account=account_id, region=region, reason=str(err)
        ) from err
    log.info("Assumed %s in %s as session %s", role_arn, region, wrapper.assume_role_kwargs["RoleSessionName"])
    return AccountSession(boto_session, region=region, account_id=account_id, connection=wrapper)


def account_of_role(role_arn: str) -> str:
    """The 12-digit account id in an IAM role ARN."""
    match = _ROLE_ARN.match(role_arn)
    if not match:
        raise FlightdeckError(f"Not an IAM role ARN: {role_arn!r} (expected arn:aws:iam::<account>:role/<name>)")
    return match["account"]


def clean_session_name(name: str) -> str:
    """An STS session name: only ``[\\w+=,.@-]`` characters, at most 64 of them."""
    cleaned = _NOT_IN_SESSION_NAME.sub("-", name)[:MAX_SESSION_NAME]
    if len(cleaned) < 2:
        raise FlightdeckError(f"STS session name {name!r} is too short (2 to 64 characters)")
    return cleaned


class _ChainedSessionFactory(BaseSessionFactory):
    """The provider's assume-role factory, calling STS from the orchestrator's session.

    The provider would call STS with the connection's raw keys; starting from the orchestrator's session
    also works when the connection itself assumes a role (role chaining).

    :param conn: connection settings with ``role_arn`` and ``assume_role_kwargs`` set.
    :param base_session: the orchestrator's boto3 session.
    :param region: region of the new session.
    :param config: botocore config of the STS client.
    """

    def __init__(
        self,
        conn: AwsConnectionWrapper,
        *,
        base_session: boto3.session.Session,
        region: str,
        config: Config,
    ) -> None:
        super().__init__(conn=conn, region_name=region, config=config)
        self._base_session = base_session

    @cached_property
    def basic_session(self) -> boto3.session.Session:
        return self._base_session
