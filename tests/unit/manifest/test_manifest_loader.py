"""Tests of load_manifest and discover_manifests on whole files."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifest_samples import BASE, HELLO_MANIFEST, HELLO_TEMPLATE

from flightdeck.errors import ManifestError
from flightdeck.manifest import Manifest, ParameterValue, discover_manifests, load_manifest


def test_example_manifest_loads() -> None:
    manifest = load_manifest(HELLO_MANIFEST)
    assert (manifest.version, manifest.application, manifest.aws_conn_id) == (1, "hello", "aws_default")
    assert manifest.description == "Example greeting service."
    assert manifest.capabilities == ("CAPABILITY_IAM",)
    assert manifest.stack_name == "{application}-{environment}"
    assert manifest.parameters == {
        "Greeting": ParameterValue(kind="ssm", value="/flightdeck/hello/greeting"),
        "LogLevel": ParameterValue(kind="literal", value="INFO"),
        "AppVersion": ParameterValue(kind="release", value="version"),
    }
    assert [env.name for env in manifest.environments] == ["dev", "staging", "prod"]
    prod = manifest.environments[2]
    assert prod.accounts[0].regions == ("eu-west-1", "us-east-1")
    assert (prod.approval.required, prod.approval.approvers, prod.approval.timeout_seconds) == (
        True,
        ("approver",),
        86400,
    )
    [test] = manifest.smoke_tests
    assert (test.type, test.payload, test.expect) == (
        "lambda",
        {"name": "flightdeck"},
        {"status": "ok", "version": "{version}"},
    )


def test_paths_are_resolved_against_the_manifest() -> None:
    manifest = load_manifest(HELLO_MANIFEST)
    assert manifest.source_path == HELLO_MANIFEST.resolve()
    assert manifest.template_path == HELLO_TEMPLATE.resolve()


def test_defaults(write_manifest) -> None:
    manifest = load_manifest(write_manifest(BASE))
    assert manifest.aws_conn_id == "aws_default"
    assert manifest.stack_name == "{application}-{environment}"
    assert (manifest.capabilities, manifest.smoke_tests, manifest.description) == ((), (), "")
    assert manifest.environments[0].approval.required is False
    assert manifest.environments[0].approval.timeout_seconds is None


def test_literals_of_other_types_become_text(write_manifest) -> None:
    text = BASE.replace("  LogLevel: INFO\n", "  LogLevel: 3\n")
    manifest = load_manifest(write_manifest(text))
    assert manifest.parameters["LogLevel"] == ParameterValue(kind="literal", value="3")


def test_manifest_is_frozen() -> None:
    manifest = load_manifest(HELLO_MANIFEST)
    with pytest.raises(ValueError, match="frozen"):
        manifest.application = "other"


def test_from_data_without_a_file_skips_the_template_check() -> None:
    import yaml

    data = yaml.safe_load(BASE.replace("template: template.yaml", "template: nowhere.yaml"))
    manifest = Manifest.from_data(data)
    assert manifest.source_path is None
    assert manifest.template_path == Path("nowhere.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("# only a comment\n", "empty file"),
        ("- a\n- b\n", "a manifest is a YAML mapping"),
    ],
)
def test_not_a_mapping(write_manifest, text: str, message: str) -> None:
    with pytest.raises(ManifestError) as info:
        load_manifest(write_manifest(text))
    [issue] = info.value.issues
    assert message in issue.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="manifest file not found"):
        load_manifest(tmp_path / "missing.yaml")


def test_discover_manifests_sorted_yaml_and_yml_only(tmp_path: Path) -> None:
    for name in ("b.yml", "a.yaml", "c.txt", ".hidden.yaml", "template.json"):
        (tmp_path / name).write_text("x: 1\n")
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.yaml").write_text("x: 1\n")
    assert discover_manifests(tmp_path) == [tmp_path / "a.yaml", tmp_path / "b.yml"]


def test_discover_manifests_of_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        discover_manifests(tmp_path / "missing")
