"""Stack parameters resolve in the target account: literals, SSM parameters, secrets, release values."""

from __future__ import annotations

import json

import pytest
from aws_helpers import DEV, REGION, STAGING, deploy_session

from flightdeck.aws.parameters import check_parameters, resolve_parameters, resolve_parameters_with_versions
from flightdeck.aws.session import AccountSession
from flightdeck.errors import FlightdeckError

pytestmark = pytest.mark.integration

RELEASE = {"version": "1.2.0", "run_id": "manual__2026-11-28"}


def test_every_kind_resolves(local_aws: str) -> None:
    session = deploy_session(DEV)
    ssm = session.client("ssm")
    ssm.put_parameter(Name="/flightdeck/hello/greeting", Value="Hi", Type="String")
    ssm.put_parameter(Name="/flightdeck/hello/secret", Value="hush", Type="SecureString")
    sources = [
        ("Greeting", "ssm", "/flightdeck/hello/greeting"),
        ("Secret", "ssm", "/flightdeck/hello/secret"),
        ("LogLevel", "literal", "DEBUG"),
        ("AppVersion", "release", "version"),
        ("RunId", "release", "run_id"),
    ]
    assert resolve_parameters(session, sources, release=RELEASE) == {
        "Greeting": "Hi",
        "Secret": "hush",
        "LogLevel": "DEBUG",
        "AppVersion": "1.2.0",
        "RunId": "manual__2026-11-28",
    }


def test_ssm_parameters_are_read_in_the_target_account(local_aws: str) -> None:
    deploy_session(DEV).client("ssm").put_parameter(Name="/flightdeck/x", Value="dev", Type="String")
    with pytest.raises(FlightdeckError) as caught:
        resolve_parameters(deploy_session(STAGING), [("X", "ssm", "/flightdeck/x")], release=RELEASE)
    message = str(caught.value)
    assert "/flightdeck/x" in message
    assert "create it there or correct the reference" in message
    assert STAGING in message
    assert REGION in message


def test_unknown_release_value(local_aws: str) -> None:
    with pytest.raises(FlightdeckError, match="unknown release value 'commit'"):
        resolve_parameters(deploy_session(DEV), [("X", "release", "commit")], release=RELEASE)


def test_unknown_kind(local_aws: str) -> None:
    with pytest.raises(FlightdeckError, match="unknown source kind 'env'"):
        resolve_parameters(deploy_session(DEV), [("X", "env", "HOME")], release=RELEASE)


SECRET = "flightdeck/hello/dev/api-token"
TOKEN = "t0k3n-value"


def _seed_secret(session: AccountSession, value: str, name: str = SECRET) -> tuple[str, str]:
    """Create the secret; its ARN and VersionId."""
    created = session.client("secretsmanager").create_secret(Name=name, SecretString=value)
    return created["ARN"], created["VersionId"]


def test_secrets_resolve_whole_or_by_json_key_by_name_or_arn(local_aws: str) -> None:
    session = deploy_session(DEV)
    arn, version = _seed_secret(session, json.dumps({"token": TOKEN, "port": 5432, "tls": True}))
    _seed_secret(session, "plain-text", name="flightdeck/hello/dev/plain")
    sources = [
        ("Whole", "secretsmanager", SECRET),
        ("Token", "secretsmanager", f"{SECRET}:token"),
        ("Port", "secretsmanager", f"{SECRET}:port"),
        ("Tls", "secretsmanager", f"{SECRET}:tls"),
        ("ByArn", "secretsmanager", arn),
        ("ByArnKey", "secretsmanager", f"{arn}:token"),
        ("Plain", "secretsmanager", "flightdeck/hello/dev/plain"),
    ]
    assert resolve_parameters(session, sources, release=RELEASE) == {
        "Whole": json.dumps({"token": TOKEN, "port": 5432, "tls": True}),
        "Token": TOKEN,
        "Port": "5432",
        "Tls": "true",
        "ByArn": json.dumps({"token": TOKEN, "port": 5432, "tls": True}),
        "ByArnKey": TOKEN,
        "Plain": "plain-text",
    }
    versions = resolve_parameters_with_versions(session, sources, release=RELEASE).versions
    assert versions["Token"] == f"secretsmanager:{SECRET}@{version}"
    assert versions["ByArnKey"] == f"secretsmanager:{arn}@{version}"


def test_versions_name_what_was_read_and_never_a_value(local_aws: str) -> None:
    session = deploy_session(DEV)
    ssm = session.client("ssm")
    ssm.put_parameter(Name="/flightdeck/hello/greeting", Value="Hi", Type="String")
    ssm.put_parameter(Name="/flightdeck/hello/greeting", Value="Hello", Type="String", Overwrite=True)
    _seed_secret(session, json.dumps({"token": "old"}))
    new_version = session.client("secretsmanager").put_secret_value(
        SecretId=SECRET, SecretString=json.dumps({"token": TOKEN})
    )["VersionId"]
    sources = [
        ("Greeting", "ssm", "/flightdeck/hello/greeting"),
        ("ApiToken", "secretsmanager", f"{SECRET}:token"),
        ("LogLevel", "literal", "DEBUG"),
        ("AppVersion", "release", "version"),
    ]
    resolved = resolve_parameters_with_versions(session, sources, release=RELEASE)
    assert resolved.values == {"Greeting": "Hello", "ApiToken": TOKEN, "LogLevel": "DEBUG", "AppVersion": "1.2.0"}
    assert resolved.versions == {
        "Greeting": "ssm:/flightdeck/hello/greeting@2",
        "ApiToken": f"secretsmanager:{SECRET}@{new_version}",
        "LogLevel": "literal",
        "AppVersion": "release",
    }
    assert TOKEN not in json.dumps(resolved.versions)
    assert TOKEN not in repr(resolved)
    assert "Hello" not in repr(resolved)


@pytest.mark.parametrize(
    ("stored", "reference", "expected"),
    [
        (None, SECRET, "the secret does not exist"),
        (json.dumps({"token": TOKEN}), f"{SECRET}:tokn", "has no key 'tokn'"),
        (TOKEN, f"{SECRET}:token", "is not a JSON object, so it has no key 'token'"),
        (json.dumps({"token": None}), f"{SECRET}:token", "key 'token' of the secret"),
    ],
    ids=["missing-secret", "missing-key", "not-json", "null-key"],
)
def test_secret_errors_name_parameter_secret_and_place_never_the_value(
    local_aws: str, stored: str | None, reference: str, expected: str
) -> None:
    session = deploy_session(DEV)
    if stored is not None:
        _seed_secret(session, stored)
    with pytest.raises(FlightdeckError) as caught:
        resolve_parameters(session, [("ApiToken", "secretsmanager", reference)], release=RELEASE)
    message = str(caught.value)
    assert message.startswith(f"Parameter ApiToken (secretsmanager:{reference}): ")
    assert expected in message
    assert f"in account {DEV}, region {REGION}" in message
    assert TOKEN not in message


def test_secrets_are_read_in_the_target_account(local_aws: str) -> None:
    _seed_secret(deploy_session(DEV), TOKEN)
    with pytest.raises(FlightdeckError, match=f"the secret does not exist in account {STAGING}"):
        resolve_parameters(deploy_session(STAGING), [("ApiToken", "secretsmanager", SECRET)], release=RELEASE)


def test_binary_and_deleted_secrets_are_refused(local_aws: str) -> None:
    session = deploy_session(DEV)
    client = session.client("secretsmanager")
    client.create_secret(Name="flightdeck/hello/dev/blob", SecretBinary=b"\x00\x01")
    _seed_secret(session, TOKEN)
    client.delete_secret(SecretId=SECRET, RecoveryWindowInDays=7)
    problems = check_parameters(
        session,
        [("Blob", "secretsmanager", "flightdeck/hello/dev/blob"), ("ApiToken", "secretsmanager", SECRET)],
        release=RELEASE,
    )
    assert "holds binary data (SecretBinary)" in problems[0]
    assert "scheduled for deletion" in problems[1]


def test_check_parameters_names_every_problem(local_aws: str) -> None:
    session = deploy_session(DEV)
    session.client("ssm").put_parameter(Name="/flightdeck/hello/dev/greeting", Value="Hi", Type="String")
    _seed_secret(session, json.dumps({"token": TOKEN}))
    sources = [
        ("Greeting", "ssm", "/flightdeck/hello/dev/greeting"),
        ("Missing", "ssm", "/flightdeck/hello/dev/missing"),
        ("ApiToken", "secretsmanager", f"{SECRET}:token"),
        ("ApiUser", "secretsmanager", f"{SECRET}:user"),
        ("Other", "secretsmanager", "flightdeck/hello/dev/other"),
        ("Commit", "release", "commit"),
        ("LogLevel", "literal", "DEBUG"),
    ]
    problems = check_parameters(session, sources, release=RELEASE)
    assert [problem.split(" ", 2)[1] for problem in problems] == ["Missing", "ApiUser", "Other", "Commit"]
    assert problems[3].startswith("Parameter Commit (release:commit): unknown release value")
    assert problems[0] == (
        f"Parameter Missing (ssm:/flightdeck/hello/dev/missing): the SSM parameter does not exist in account {DEV}, "
        f"region {REGION}; create it with `flightdeck config set MANIFEST missing VALUE --env dev` or correct the "
        "reference in the manifest"
    )
    assert (
        f"(secretsmanager:{SECRET}:user): the secret in account {DEV}, region {REGION} has no key 'user'" in problems[1]
    )
    assert problems[2] == (
        f"Parameter Other (secretsmanager:flightdeck/hello/dev/other): the secret does not exist in account {DEV}, "
        f"region {REGION}; create it with `flightdeck config set MANIFEST other --secret --env dev` or correct the "
        "reference"
    )
    assert "unknown release value 'commit'" in problems[3]
    assert not any(TOKEN in problem or "Hi" in problem.split(": ", 1)[1] for problem in problems)
    assert check_parameters(session, [sources[0], sources[2], sources[6]], release=RELEASE) == []
