"""``flightdeck config`` without AWS: argument rules, target selection and pairing, tables, secret input."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import pytest

from flightdeck import config_cli
from flightdeck.aws.config_store import ConfigEntry
from flightdeck.errors import FlightdeckError
from flightdeck.manifest import load_manifest
from flightdeck.plan import ReleasePlan, Target, build_plan

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "include" / "apps" / "hello" / "template.yaml"
PLUGINS = ROOT / "plugins"
MANIFEST = f"""\
version: 1
application: hello
template: {TEMPLATE}
deploy_role: {{name: flightdeck-deploy, execution_role: flightdeck-cfn-exec, external_id: flightdeck-demo}}
parameters: {{Greeting: Hi, AppVersion: "release:version", EnvironmentName: x}}
environments:
  - name: dev
    accounts:
      - {{id: "111111111111", regions: [eu-west-1, us-east-1]}}
      - {{id: "222222222222", regions: [eu-west-1]}}
  - name: qa
    accounts:
      - {{id: "111111111111", regions: [eu-west-1]}}
      - {{id: "222222222222", regions: [eu-west-1]}}
  - name: prod
    accounts:
      - {{id: "333333333333", regions: [eu-west-1, us-east-1]}}
      - {{id: "444444444444", regions: [eu-west-1]}}
  - name: sydney
    accounts: [{{id: "555555555555", regions: [ap-southeast-2]}}]
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "hello.yaml"
    path.write_text(MANIFEST)
    return path


@pytest.fixture
def plan(manifest: Path) -> ReleasePlan:
    return build_plan(load_manifest(manifest))


def _labels(targets: tuple[Target, ...] | list[Target]) -> list[str]:
    return [target.label for target in targets]


def test_select_targets(plan: ReleasePlan) -> None:
    assert _labels(config_cli.select_targets(plan, "dev")) == [
        "dev/111111111111/eu-west-1",
        "dev/111111111111/us-east-1",
        "dev/222222222222/eu-west-1",
    ]
    assert _labels(config_cli.select_targets(plan, "dev", accounts=["111111111111"], regions=["us-east-1"])) == [
        "dev/111111111111/us-east-1"
    ]
    with pytest.raises(FlightdeckError, match=r"hello has no environment 'test' \(it has: dev, qa, prod, sydney\)"):
        config_cli.select_targets(plan, "test")
    with pytest.raises(FlightdeckError, match="no target of qa matches --account/--region"):
        config_cli.select_targets(plan, "qa", regions=["us-east-1"])


def _pairs(plan: ReleasePlan, left: str, right: str) -> tuple[list[tuple[str, str]], list[str]]:
    pairs, notes = config_cli.pair_targets(
        config_cli.select_targets(plan, left), config_cli.select_targets(plan, right)
    )
    return [(a.label, b.label) for a, b in pairs], notes


def test_same_accounts_pair_by_account_and_region(plan: ReleasePlan) -> None:
    assert _pairs(plan, "dev", "qa") == (
        [
            ("dev/111111111111/eu-west-1", "qa/111111111111/eu-west-1"),
            ("dev/222222222222/eu-west-1", "qa/222222222222/eu-west-1"),
        ],
        ["dev/111111111111/us-east-1 not compared: qa has no corresponding target"],
    )


def test_other_accounts_pair_the_first_target_of_each_region(plan: ReleasePlan) -> None:
    assert _pairs(plan, "dev", "prod") == (
        [
            ("dev/111111111111/eu-west-1", "prod/333333333333/eu-west-1"),
            ("dev/111111111111/us-east-1", "prod/333333333333/us-east-1"),
        ],
        ["dev and prod are in different accounts: comparing the first target of each region"],
    )
    pairs, notes = _pairs(plan, "qa", "sydney")
    assert pairs == []
    assert notes[1:] == [
        "qa/111111111111/eu-west-1 not compared: sydney has no corresponding target",
        "qa/222222222222/eu-west-1 not compared: sydney has no corresponding target",
        "sydney/555555555555/ap-southeast-2 not compared: qa has no corresponding target",
    ]


def test_table() -> None:
    rows = [("dev/1/eu-west-1", "greeting", "Hello"), ("dev/2/eu-west-1", "k", "")]
    assert config_cli.table(("TARGET", "KEY", "VALUE"), rows) == (
        "TARGET           KEY       VALUE\ndev/1/eu-west-1  greeting  Hello\ndev/2/eu-west-1  k"
    )


class FakeStore:
    """Records what ``set`` would write instead of calling AWS."""

    written: list[tuple[str, str, str]] = []

    def __init__(self, label: str) -> None:
        self.label = label

    def set_secret(self, key: str, value: str) -> ConfigEntry:
        self.written.append((self.label, key, value))
        return ConfigEntry(key=key, store="secretsmanager", secret=True, value=None, version="v1")


class Cli:
    """``flightdeck config`` with a fake store: what it printed, and what it would have written."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.written = FakeStore.written

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        code = config_cli.main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    FakeStore.written = []
    monkeypatch.setattr(config_cli, "_store", lambda plan, target: FakeStore(target.label))
    return Cli(capsys)


def test_a_secret_value_on_the_command_line_is_refused_before_anything_else(cli: Cli) -> None:
    code, out, err = cli("set", "no-such-manifest.yaml", "api-token", "hunter2", "--secret", "--env", "dev")
    assert code == 1
    assert err.startswith("error: refusing to take a secret value from the command line: command lines end up")
    assert "hunter2" not in out + err
    assert cli.written == []


@pytest.mark.parametrize(
    "argv",
    [["set", "m.yaml", "greeting", "--env", "dev"], ["set", "m.yaml", "k", "v", "--from-file", "f", "--env", "dev"]],
)
def test_a_plain_set_needs_its_value_on_the_command_line(cli: Cli, argv: list[str]) -> None:
    message = "error: give the plain VALUE after KEY; for a secret, add --secret and pipe it on stdin\n"
    assert cli(*argv) == (1, "", message)


@pytest.mark.parametrize(
    ("piped", "stored"), [("tok\n", "tok"), ("tok", "tok"), ("tok\r\n", "tok"), ("a\nb\n\n", "a\nb\n")]
)
def test_a_piped_secret_loses_one_trailing_newline(
    cli: Cli, manifest: Path, monkeypatch: pytest.MonkeyPatch, piped: str, stored: str
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(piped))
    code, out, _ = cli("set", str(manifest), "api-token", "--secret", "--env", "qa")
    assert code == 0
    assert cli.written == [
        ("qa/111111111111/eu-west-1", "api-token", stored),
        ("qa/222222222222/eu-west-1", "api-token", stored),
    ]
    assert out.splitlines()[1].split() == ["qa/111111111111/eu-west-1", "api-token", "secret", "v1"]


def test_a_secret_from_a_file_is_stored_as_is_and_a_terminal_is_asked(
    cli: Cli, manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "key.pem").write_text("-----BEGIN-----\nabc\n-----END-----\n")
    argv = ("set", str(manifest), "tls-key", "--secret", "--env", "sydney")
    assert cli(*argv, "--from-file", str(tmp_path / "key.pem"))[0] == 0
    (tmp_path / "bad.bin").write_bytes(b"\xff\xfe")
    code, _, err = cli(*argv, "--from-file", str(tmp_path / "bad.bin"))
    assert (code, err) == (1, f"error: {tmp_path / 'bad.bin'} is not UTF-8 text; Flightdeck stores text secrets only\n")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: f"typed for {prompt}")
    assert cli(*argv)[0] == 0
    assert [value for _, _, value in cli.written] == [
        "-----BEGIN-----\nabc\n-----END-----\n",
        "typed for value of secret tls-key (not shown): ",
    ]


def test_command_plugs_into_the_flightdeck_parser(cli: Cli, manifest: Path) -> None:
    parser = argparse.ArgumentParser(prog="flightdeck")
    subparsers = parser.add_subparsers(dest="command", required=True)
    subparser = subparsers.add_parser(config_cli.COMMAND.name, help=config_cli.COMMAND.help)
    config_cli.COMMAND.configure(subparser)
    subparser.set_defaults(run=config_cli.COMMAND.run)
    argv = ["config", "set", str(manifest), "k", "--secret", "--env", "sydney", "--from-file", __file__]
    args = parser.parse_args(argv)
    assert (args.command, args.action, args.key, args.secret) == ("config", "set", "k", True)
    assert args.run(args) == 0
    assert cli.written[0][:2] == ("sydney/555555555555/ap-southeast-2", "k")


def test_importing_the_command_does_not_import_the_aws_layer() -> None:
    code = "import sys, flightdeck.config_cli; assert 'flightdeck.aws.session' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(PLUGINS)})
