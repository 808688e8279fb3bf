"""Parameter references and errors that need no AWS: secret references, denied reads, what results show."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from flightdeck.aws.parameters import ResolvedParameters, SecretReference, check_parameters
from flightdeck.aws.session import AccountSession
from flightdeck.errors import FlightdeckError

ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:flightdeck/hello/dev/api-token-AbCdEf"


@pytest.mark.parametrize(
    ("text", "secret_id", "json_key"),
    [
        ("flightdeck/hello/dev/api-token", "flightdeck/hello/dev/api-token", None),
        ("flightdeck/hello/dev/db:password", "flightdeck/hello/dev/db", "password"),
        ("db:a:b", "db", "a:b"),
        (ARN, ARN, None),
        (f"{ARN}:token", ARN, "token"),
        (ARN.replace("arn:aws:", "arn:aws-cn:"), ARN.replace("arn:aws:", "arn:aws-cn:"), None),
    ],
)
def test_secret_references(text: str, secret_id: str, json_key: str | None) -> None:
    assert SecretReference.parse(text) == SecretReference(secret_id=secret_id, json_key=json_key)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a secret reference"),
        ("db:", "is not a secret reference"),
        (":key", "is not a secret reference"),
        (f"{ARN}:", "is not a secret reference"),
        ("arn:aws:ssm:eu-west-1:111111111111:parameter/x", "is not a Secrets Manager ARN"),
        ("arn:aws:secretsmanager:eu-west-1:111111111111:secret:", "is not a Secrets Manager ARN"),
        ("arn:aws:secretsmanager:eu-west-1", "is not a Secrets Manager ARN"),
    ],
)
def test_bad_secret_references(text: str, message: str) -> None:
    with pytest.raises(FlightdeckError, match=message):
        SecretReference.parse(text)


def test_resolved_parameters_never_show_values() -> None:
    resolved = ResolvedParameters(values={"ApiToken": "s3cr3t"}, versions={"ApiToken": "secretsmanager:x@v1"})
    assert "s3cr3t" not in repr(resolved)
    assert "secretsmanager:x@v1" in repr(resolved)


def _session() -> AccountSession:
    return AccountSession(boto3.session.Session(region_name="eu-west-1"), region="eu-west-1", account_id="111111111111")


def test_denied_reads_are_explained_and_every_problem_reported() -> None:
    session = _session()
    ssm, secrets = Stubber(session.client("ssm")), Stubber(session.client("secretsmanager"))
    ssm.add_client_error("get_parameter", service_error_code="AccessDeniedException", http_status_code=400)
    secrets.add_client_error("get_secret_value", service_error_code="AccessDeniedException", http_status_code=400)
    secrets.add_client_error("get_secret_value", service_error_code="DecryptionFailure", http_status_code=400)
    sources = [
        ("Greeting", "ssm", "/other/greeting"),
        ("ApiToken", "secretsmanager", "other/api-token:token"),
        ("DbPassword", "secretsmanager", "flightdeck/hello/dev/db"),
        ("Bad", "secretsmanager", "arn:aws:s3:::bucket"),
        ("Home", "env", "HOME"),
    ]
    with ssm, secrets:
        problems = check_parameters(session, sources, release={})
    assert problems == [
        "Parameter Greeting (ssm:/other/greeting): the deploy role may not read this SSM parameter in account "
        "111111111111, region eu-west-1; the bootstrap grants ssm:GetParameter under /flightdeck/ only: move it "
        "there or re-run flightdeck bootstrap",
        "Parameter ApiToken (secretsmanager:other/api-token:token): the deploy role may not read the secret in "
        "account 111111111111, region eu-west-1 (secretsmanager:GetSecretValue); the bootstrap grants it on "
        "flightdeck/* secrets only: rename the secret or re-run flightdeck bootstrap",
        "Parameter DbPassword (secretsmanager:flightdeck/hello/dev/db): the secret cannot be decrypted in account "
        "111111111111, region eu-west-1; give the deploy role kms:Decrypt on the secret's KMS key",
        "Parameter Bad (secretsmanager:arn:aws:s3:::bucket): 'arn:aws:s3:::bucket' is not a Secrets Manager ARN: "
        "expected arn:aws:secretsmanager:<region>:<account>:secret:<name>[:<json-key>]",
        "Parameter Home (env:HOME): unknown source kind 'env' (one of literal, ssm, secretsmanager, release)",
    ]


def test_a_secret_used_twice_is_read_once() -> None:
    session = _session()
    secrets = Stubber(session.client("secretsmanager"))
    response = {"ARN": ARN, "Name": "db", "VersionId": "v" * 32, "SecretString": '{"user": "app", "password": "pw"}'}
    secrets.add_response("get_secret_value", response, {"SecretId": "db"})
    with secrets:
        assert (
            check_parameters(
                session,
                [("User", "secretsmanager", "db:user"), ("Password", "secretsmanager", "db:password")],
                release={},
            )
            == []
        )
    secrets.assert_no_pending_responses()
