"""Tests of the flightdeck command line."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flightdeck import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HELLO_MANIFEST = FIXTURES / "manifests" / "hello.yaml"
HELLO_TEMPLATE = FIXTURES / "apps" / "hello" / "template.yaml"
PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    """A folder of manifests: one valid, one with two issues; the template one level up."""
    folder = tmp_path / "manifests"
    (tmp_path / "apps" / "hello").mkdir(parents=True)
    folder.mkdir()
    shutil.copy(HELLO_TEMPLATE, tmp_path / "apps" / "hello" / "template.yaml")
    shutil.copy(HELLO_MANIFEST, folder / "good.yaml")
    bad = HELLO_MANIFEST.read_text().replace('id: "222222222222"', "id: 222222222222")
    (folder / "bad.yml").write_text(bad.replace("smoke_tests:", "smoke_test:"))
    return folder


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(HELLO_MANIFEST)]) == 0
    assert capsys.readouterr().out == f"OK {HELLO_MANIFEST}\n"


def test_validate_folder_prints_every_issue(manifests: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(manifests)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith(f"{manifests / 'bad.yml'}:25:13: environments[1].accounts[0].id: YAML reads")
    assert lines[1].startswith(f"{manifests / 'bad.yml'}:35:1: smoke_test: unknown key 'smoke_test'")
    assert lines[2] == f"OK {manifests / 'good.yaml'}"
    assert len(lines) == 3
    assert "Traceback" not in out + err
    assert err == "1 of 2 manifest(s) invalid\n"


def test_validate_defaults_to_include_manifests(
    manifests: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (manifests.parent / "include").mkdir()
    (manifests / "bad.yml").unlink()
    manifests.rename(manifests.parent / "include" / "manifests")
    shutil.move(manifests.parent / "apps", manifests.parent / "include" / "apps")
    monkeypatch.chdir(manifests.parent)
    assert cli.main(["validate"]) == 0
    assert capsys.readouterr().out == "OK include/manifests/good.yaml\n"


def test_validate_refuses_two_manifests_of_one_application(manifests: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(manifests / "good.yaml", manifests / "copy.yaml")
    assert cli.main(["validate", str(manifests / "good.yaml"), str(manifests / "copy.yaml")]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"OK {manifests / 'good.yaml'}",
        f"{manifests / 'copy.yaml'}: application hello is also released by {manifests / 'good.yaml'}; "
        "both would be DAG release__hello: rename one application",
    ]


def test_validate_missing_path_and_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(tmp_path / "missing.yaml"), str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{tmp_path / 'missing.yaml'}: no such file or folder",
        f"{tmp_path}: no manifests (*.yaml, *.yml) in this folder",
    ]
    assert err == "0 of 0 manifest(s) invalid, 2 path(s) unusable\n"


def test_validate_yaml_syntax_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\napplication: [hello\n")
    assert cli.main(["validate", str(path)]) == 1
    assert capsys.readouterr().out.startswith(f"{path}:3:1: YAML syntax error")


def test_plan_prints_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", str(HELLO_MANIFEST)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Release plan for hello (DAG release__hello)\n")
    assert "  prod/333333333333/us-east-1\n" in out


def test_plan_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", str(HELLO_MANIFEST), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [env["name"] for env in document["environments"]] == ["dev", "staging", "prod"]
    assert document["environments"][2]["tasks"][4] == "prod.approve"


def test_plan_of_one_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", str(HELLO_MANIFEST), "--env", "staging", "--json"]) == 0
    assert [env["name"] for env in json.loads(capsys.readouterr().out)["environments"]] == ["staging"]
    assert cli.main(["plan", str(HELLO_MANIFEST), "--env", "staging"]) == 0
    out = capsys.readouterr().out
    assert "Environment 1/1: staging (1 target; no approval)" in out
    assert "prod" not in out


def test_plan_of_an_unknown_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", str(HELLO_MANIFEST), "--env", "qa"]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        "error: no environment 'qa' in the manifest of hello (its environments: dev, staging, prod)\n",
    )


def test_schema_prints_the_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from flightdeck.manifest.schema import manifest_json_schema

    assert cli.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == manifest_json_schema()


def test_validate_lints_the_template(manifests: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = manifests.parent / "apps" / "hello" / "template.yaml"
    template.write_text(
        template.read_text().replace("      Runtime: python3.12\n", "      Runtime: python3.12\n      Timeoutt: 3\n")
    )
    assert cli.main(["validate", str(manifests / "good.yaml")]) == 1
    out, err = capsys.readouterr()
    [line] = out.splitlines()
    assert line.startswith(f"{template}:25:7: Resources.Function.Properties.Timeoutt: cfn-lint E3002: ")
    assert err == "1 of 1 manifest(s) invalid\n"
    assert cli.main(["validate", "--no-lint", str(manifests / "good.yaml")]) == 0
    assert capsys.readouterr().out == f"OK {manifests / 'good.yaml'}\n"


def test_plan_of_an_invalid_manifest(manifests: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", str(manifests / "bad.yml")]) == 1
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 2
    assert "Traceback" not in out


def test_usage_errors_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert cli.main(["nope"]) == 2
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "validate" in out
    assert "plan" in out


@pytest.fixture
def isolated_commands() -> Iterator[None]:
    """Commands a test registers are gone after it."""
    saved = dict(cli.COMMANDS)
    yield
    cli.COMMANDS.clear()
    cli.COMMANDS.update(saved)


@pytest.mark.usefixtures("isolated_commands")
def test_registered_subcommands_are_offered() -> None:

    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--account", required=True)

    cli.register(cli.Command("hello", "say hello", configure, lambda args: len(args.account)))
    assert cli.main(["hello", "--account", "123"]) == 3


def test_register_refuses_a_second_command_of_the_same_name() -> None:
    with pytest.raises(ValueError, match="already registered"):
        cli.register(cli.COMMANDS["plan"])


@pytest.mark.usefixtures("isolated_commands")
def test_flightdeck_errors_become_exit_status_1(capsys: pytest.CaptureFixture[str]) -> None:
    from flightdeck.errors import PlanError

    def fail(args: argparse.Namespace) -> int:
        raise PlanError("cannot plan")

    cli.register(cli.Command("fail", "always fails", lambda parser: None, fail))
    assert cli.main(["fail"]) == 1
    assert capsys.readouterr().err == "error: cannot plan\n"


def test_python_dash_m_flightdeck() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flightdeck", "validate", str(HELLO_MANIFEST)],
        capture_output=True,
        text=True,
        check=False,
        cwd=PLUGINS,
    )
    assert (result.returncode, result.stdout) == (0, f"OK {HELLO_MANIFEST}\n")


def test_validate_accepts_accounts_selected_from_organizations(capsys: pytest.CaptureFixture[str]) -> None:
    full = Path(__file__).parent / "fixtures" / "manifests" / "full.yaml"
    assert cli.main(["validate", "--no-lint", str(full)]) == 0
    assert capsys.readouterr().out == f"OK {full}\n"


def test_execute_wants_a_change_set_arn(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["execute", "hello-prod"]) == 1
    assert capsys.readouterr().err == (
        "error: 'hello-prod' is not a change set ARN: copy it from the approval "
        "(arn:aws:cloudformation:<region>:<account>:changeSet/<name>/<id>)\n"
    )
