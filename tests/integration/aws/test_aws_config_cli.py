"""``flightdeck config`` against the local AWS: keys per environment in every account, secrets never shown."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aws_helpers import DEV, HELLO, REGION, STAGING, admin_session, bootstrap, deploy_session

from flightdeck.aws.parameters import resolve_parameters
from flightdeck.config_cli import main

pytestmark = pytest.mark.integration

PROD = "333333333333"
SECRET_VALUE = "s3cr3t-v4lue"
OTHER_SECRET = "0th3r-s3cr3t"
MANIFEST = f"""\
version: 1
application: hello
template: {HELLO}
capabilities: [CAPABILITY_IAM]
deploy_role: {{name: flightdeck-deploy, execution_role: flightdeck-cfn-exec, external_id: flightdeck-demo}}
parameters:
  Greeting: "ssm:/flightdeck/hello/greeting"
  AppVersion: "release:version"
environments:
  - name: dev
    parameters: {{EnvironmentName: dev}}
    accounts:
      - {{id: "{DEV}", regions: [{REGION}]}}
      - {{id: "{STAGING}", regions: [{REGION}]}}
  - name: qa
    parameters: {{EnvironmentName: qa}}
    accounts:
      - {{id: "{DEV}", regions: [{REGION}]}}
      - {{id: "{STAGING}", regions: [{REGION}]}}
  - name: prod
    parameters: {{EnvironmentName: prod}}
    accounts: [{{id: "{PROD}", regions: [{REGION}]}}]
"""
Config = Callable[..., tuple[int, str, str]]
DEV_LABELS = (f"dev/{DEV}/{REGION}", f"dev/{STAGING}/{REGION}")


@pytest.fixture
def manifest(local_aws: str, tmp_path: Path) -> str:
    """Accounts 111…, 222… (dev and qa) and 333… (prod) bootstrapped; the manifest's path."""
    for account in (DEV, STAGING, PROD):
        bootstrap(account)
    path = tmp_path / "hello.yaml"
    path.write_text(MANIFEST)
    return str(path)


@pytest.fixture
def config(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[Config]:
    """Run ``flightdeck config`` with ``argv`` (and ``stdin``); its exit status, stdout and stderr.

    Fails the test if a secret value reaches a log record of Flightdeck.
    """
    caplog.set_level(logging.DEBUG, logger="flightdeck")

    def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin or ""))
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("flightdeck"))
    assert SECRET_VALUE not in logged
    assert OTHER_SECRET not in logged


def _rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines()[1:] if line.strip()]


def test_plain_keys_in_every_account_of_the_environment(manifest: str, config: Config) -> None:
    code, out, _ = config("set", manifest, "greeting", "Hello", "--env", "dev")
    assert code == 0
    assert _rows(out) == [[label, "greeting", "plain", "1"] for label in DEV_LABELS]
    for account in (DEV, STAGING):
        ssm = admin_session(account).client("ssm")
        assert ssm.get_parameter(Name="/flightdeck/hello/dev/greeting")["Parameter"]["Value"] == "Hello"

    assert config("set", manifest, "greeting", "Hi there", "--env", "dev", "--account", STAGING)[0] == 0
    code, out, _ = config("get", manifest, "greeting", "--env", "dev")
    assert code == 0
    assert out.splitlines()[1:] == [
        f"{DEV_LABELS[0]}  plain  1        Hello",
        f"{DEV_LABELS[1]}  plain  2        Hi there",
    ]
    code, out, _ = config("list", manifest, "--env", "dev", "--region", REGION)
    assert out.splitlines()[0].split() == ["TARGET", "KEY", "TYPE", "VERSION", "VALUE"]
    assert [row[:2] + row[4:] for row in _rows(out)] == [
        [DEV_LABELS[0], "greeting", "Hello"],
        [DEV_LABELS[1], "greeting", "Hi", "there"],
    ]
    assert _rows(config("list", manifest, "--env", "qa")[1]) == [
        [f"qa/{DEV}/{REGION}", "-"],
        [f"qa/{STAGING}/{REGION}", "-"],
    ]

    code, out, _ = config("unset", manifest, "greeting", "--env", "dev", "--account", DEV)
    assert (code, _rows(out)) == (0, [[DEV_LABELS[0], "greeting", "deleted"]])
    code, out, err = config("get", manifest, "greeting", "--env", "dev")
    assert code == 1
    assert "(not set)" in out
    assert err == f"error: greeting is not set in {DEV_LABELS[0]}\n"
    config("unset", manifest, "greeting", "--env", "dev")
    code, _, err = config("unset", manifest, "greeting", "--env", "dev")
    assert (code, err) == (1, "error: greeting is not set in any target\n")


def test_secret_keys_are_stored_from_stdin_or_a_file_and_never_shown(
    manifest: str, config: Config, tmp_path: Path
) -> None:
    code, out, err = config("set", manifest, "api-token", "--secret", "--env", "dev", stdin=SECRET_VALUE + "\n")
    assert code == 0, err
    assert [row[1:3] for row in _rows(out)] == [["api-token", "secret"]] * 2
    for account in (DEV, STAGING):
        secrets = admin_session(account).client("secretsmanager")
        assert secrets.get_secret_value(SecretId="flightdeck/hello/dev/api-token")["SecretString"] == SECRET_VALUE
    reference = [("ApiToken", "secretsmanager", "flightdeck/hello/dev/api-token")]
    assert resolve_parameters(deploy_session(STAGING), reference, release={}) == {"ApiToken": SECRET_VALUE}

    for argv in (("list", manifest), ("get", manifest, "api-token")):
        code, out, err = config(*argv, "--env", "dev")
        assert code == 0
        assert "(secret)" in out
        assert SECRET_VALUE not in out + err
    code, out, err = config("get", manifest, "api-token", "--env", "dev", "--account", DEV, "--reveal")
    assert (code, err) == (0, "")
    assert out.splitlines()[1].endswith(f"  {SECRET_VALUE}")

    file = tmp_path / "token.txt"
    file.write_text(OTHER_SECRET + "\n")
    assert config("set", manifest, "api-token", "--secret", "--from-file", str(file), "--env", "dev")[0] == 0
    secrets = admin_session(DEV).client("secretsmanager")
    assert secrets.get_secret_value(SecretId="flightdeck/hello/dev/api-token")["SecretString"] == OTHER_SECRET + "\n"

    code, _, err = config("set", manifest, "api-token", "plain", "--env", "dev", "--account", DEV)
    assert code == 1
    assert "api-token is a secret in account 111111111111, region eu-west-1" in err
    code, _, err = config("unset", manifest, "api-token", "--env", "dev", "--account", DEV)
    assert code == 1
    assert "add --secret to delete it" in err

    code, out, _ = config("unset", manifest, "api-token", "--secret", "--env", "dev", "--account", DEV)
    assert (code, _rows(out)) == (0, [[DEV_LABELS[0], "api-token", "scheduled", "for", "deletion", "in", "7", "days"]])
    assert "api-token" not in config("list", manifest, "--env", "dev", "--account", DEV)[1]
    code, _, err = config("set", manifest, "api-token", "--secret", "--env", "dev", "--account", DEV, stdin="x")
    assert code == 1
    assert "is scheduled for deletion; restore it" in err
    code, out, _ = config("unset", manifest, "api-token", "--secret", "--without-recovery", "--env", "dev")
    assert (code, [row[2] for row in _rows(out)]) == (0, ["deleted", "deleted"])
    assert secrets.list_secrets()["SecretList"] == []


def test_a_secret_on_the_command_line_is_refused(manifest: str, config: Config) -> None:
    code, out, err = config("set", manifest, "api-token", SECRET_VALUE, "--secret", "--env", "dev")
    assert code == 1
    assert err.startswith("error: refusing to take a secret value from the command line")
    assert "--from-file" in err
    assert SECRET_VALUE not in out + err
    for account in (DEV, STAGING):
        assert admin_session(account).client("secretsmanager").list_secrets()["SecretList"] == []


def test_empty_secrets_are_refused(manifest: str, config: Config) -> None:
    code, _, err = config("set", manifest, "api-token", "--secret", "--env", "dev", stdin="\n")
    assert (code, err) == (
        1,
        "error: the value of secret api-token is empty: pipe it on stdin or use --from-file PATH\n",
    )


def _seed(config: Config, manifest: str, env: str, plain: dict[str, str], secrets: dict[str, str]) -> None:
    for key, value in plain.items():
        assert config("set", manifest, key, value, "--env", env)[0] == 0
    for key, value in secrets.items():
        assert config("set", manifest, key, "--secret", "--env", env, stdin=value)[0] == 0


def test_diff_between_environments_in_different_accounts(manifest: str, config: Config) -> None:
    _seed(
        config,
        manifest,
        "dev",
        {"greeting": "Hello", "log-level": "DEBUG", "mode": "fast", "timeout": "3"},
        {"api-token": SECRET_VALUE, "db-password": OTHER_SECRET},
    )
    _seed(
        config,
        manifest,
        "prod",
        {"greeting": "Hello", "only-prod": "yes", "timeout": "30"},
        {"api-token": OTHER_SECRET, "db-password": OTHER_SECRET, "mode": SECRET_VALUE},
    )
    code, out, err = config("diff", manifest, "--env", "dev", "--other-env", "prod")
    assert (code, err) == (0, "")
    assert SECRET_VALUE not in out
    assert OTHER_SECRET not in out
    lines = out.splitlines()
    assert lines[:3] == [
        "note: dev and prod are in different accounts: comparing the first target of each region",
        "",
        f"dev/{DEV}/{REGION} vs prod/{PROD}/{REGION}",
    ]
    assert lines[3].split() == ["KEY", "TYPE", "STATUS", "DEV", "PROD"]
    assert lines[4:] == [
        "api-token    secret  differs                                 (secret)  (secret)",
        "db-password  secret  equal                                   (secret)  (secret)",
        "greeting     plain   equal                                   Hello     Hello",
        "log-level    plain   missing in prod                         DEBUG     -",
        "mode         mixed   plain on one side, secret on the other  fast      (secret)",
        "only-prod    plain   missing in dev                          -         yes",
        "timeout      plain   differs                                 3         30",
    ]


def test_diff_between_environments_in_the_same_accounts(manifest: str, config: Config) -> None:
    _seed(config, manifest, "dev", {"greeting": "Hello"}, {"api-token": SECRET_VALUE})
    _seed(config, manifest, "qa", {"greeting": "Hello"}, {"api-token": SECRET_VALUE})
    assert config("set", manifest, "greeting", "Howdy", "--env", "qa", "--account", STAGING)[0] == 0
    code, out, _ = config("diff", manifest, "--env", "dev", "--other-env", "qa")
    assert code == 0
    assert "note:" not in out
    assert SECRET_VALUE not in out
    blocks = [block.splitlines() for block in out.strip().split("\n\n")]
    assert [block[0] for block in blocks] == [
        f"dev/{DEV}/{REGION} vs qa/{DEV}/{REGION}",
        f"dev/{STAGING}/{REGION} vs qa/{STAGING}/{REGION}",
    ]
    assert [[row.split()[:3] for row in block[2:]] for block in blocks] == [
        [["api-token", "secret", "equal"], ["greeting", "plain", "equal"]],
        [["api-token", "secret", "equal"], ["greeting", "plain", "differs"]],
    ]
