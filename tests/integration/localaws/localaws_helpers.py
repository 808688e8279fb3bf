"""Helpers of the emulator's tests: account sessions, change-set deployments, templates, Lambda packages."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
import botocore.parsers
from botocore.config import Config

DEV, STAGING = "111111111111", "222222222222"
REGION = "eu-west-1"
# One attempt: plain moto answers some calls with HTTP 500, which boto3 would otherwise retry for seconds.
CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=120)
# Waiters that give up quickly: on plain moto a failed deployment would otherwise be waited on forever.
QUICK_WAIT = {"Delay": 1, "MaxAttempts": 3}


@dataclass(frozen=True)
class Emulator:
    """One emulator under test.

    :param endpoint_url: where it listens.
    :param stock: plain moto (the gap is expected) rather than Flightdeck's fixed server.
    """

    endpoint_url: str
    stock: bool

    def session(self, account: str = DEV, region: str = REGION) -> boto3.Session:
        """Credentials of ``account`` from ``sts.assume_role``, as the product gets them."""
        sts = boto3.client("sts", endpoint_url=self.endpoint_url, region_name=region, config=CONFIG)
        credentials = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/flightdeck-deploy", RoleSessionName="localaws-tests"
        )["Credentials"]
        return boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=region,
        )

    def client(self, service: str, account: str = DEV, region: str = REGION) -> Any:
        """A boto3 client for ``service`` in ``account``, pointed at this emulator."""
        return self.session(account, region).client(service, endpoint_url=self.endpoint_url, config=CONFIG)


def attempt(call: Any, *args: Any, **kwargs: Any) -> Exception | None:
    """Run one call; return the error it raised (ClientError, unparsable body, ...), or None."""
    try:
        call(*args, **kwargs)
    except (
        botocore.exceptions.ClientError,
        botocore.exceptions.BotoCoreError,
        botocore.parsers.ResponseParserError,
    ) as err:
        return err
    return None


def create_change_set(
    cfn: Any, stack: str, template: str, kind: str = "CREATE", name: str = "release-1", **extra: Any
) -> dict[str, Any]:
    """``create_change_set`` with ``Parameters`` given as a dict; returns the response."""
    parameters = extra.pop("parameters", {})
    return cfn.create_change_set(
        StackName=stack,
        ChangeSetName=name,
        TemplateBody=template,
        ChangeSetType=kind,
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        **extra,
    )


def deploy(
    cfn: Any, stack: str, template: str, kind: str = "CREATE", name: str = "release-1", **extra: Any
) -> Exception | None:
    """Create and execute a change set; returns the error of the execution, if any."""
    create_change_set(cfn, stack, template, kind, name, **extra)
    return attempt(cfn.execute_change_set, StackName=stack, ChangeSetName=name)


def status_or_error(cfn: Any, stack: str) -> str | Exception:
    """The stack's status, or the error ``describe_stacks`` raised (plain moto may answer HTTP 500)."""
    try:
        return describe(cfn, stack)["StackStatus"]
    except Exception as err:
        return err


def describe(cfn: Any, stack: str) -> dict[str, Any]:
    """``describe_stacks`` of one stack."""
    return cfn.describe_stacks(StackName=stack)["Stacks"][0]


def outputs(cfn: Any, stack: str) -> dict[str, str]:
    """The stack's Outputs as a dict."""
    return {o["OutputKey"]: o["OutputValue"] for o in describe(cfn, stack).get("Outputs", [])}


def events(cfn: Any, stack: str) -> list[dict[str, Any]]:
    """The stack's events, oldest first."""
    return cfn.describe_stack_events(StackName=stack)["StackEvents"][::-1]


def ssm_value(ssm: Any, name: str) -> str | None:
    """An SSM parameter's value, or None when it does not exist."""
    try:
        return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None


def parameter_template(resources: dict[str, tuple[str, str | None]], outputs: dict[str, str] | None = None) -> str:
    """A template of ``AWS::SSM::Parameter`` resources: logical id -> (Name, Value or None for none)."""
    lines = ["Resources:"]
    for logical_id, (name, value) in resources.items():
        lines += [f"  {logical_id}:", "    Type: AWS::SSM::Parameter", "    Properties:", "      Type: String"]
        lines += [f"      Name: {name}"] + ([f"      Value: '{value}'"] if value is not None else [])
    if outputs:
        lines += ["Outputs:"] + [f"  {key}: {{Value: {value}}}" for key, value in outputs.items()]
    return "\n".join(lines) + "\n"


def zip_bytes(files: dict[str, str]) -> bytes:
    """A zip archive of text files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
