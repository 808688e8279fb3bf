"""Packaging is deterministic: same inputs give the same bytes, keys and digest on any machine."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from flightdeck.aws.packaging import BUCKET_PLACEHOLDER, package_template, zip_directory
from flightdeck.errors import FlightdeckError

HELLO = Path(__file__).resolve().parents[3] / "include" / "apps" / "hello" / "template.yaml"

TEMPLATE = """\
AWSTemplateFormatVersion: 2010-09-09
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
  Function:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Code: src
  Other:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: "def handler(event, context): return 1"
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """An application folder: a template and a code directory with a package, bytecode and a cache."""
    root = tmp_path / "app"
    (root / "src" / "lib").mkdir(parents=True)
    (root / "src" / "__pycache__").mkdir()
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "src" / "app.py").write_text("def handler(event, context):\n    return {'ok': True}\n")
    (root / "src" / "lib" / "util.py").write_text("X = 1\n")
    (root / "src" / "lib" / "stale.pyc").write_bytes(b"\x00bytecode")
    (root / "src" / "__pycache__" / "app.cpython-312.pyc").write_bytes(b"\x00bytecode")
    return root


def _package(root: Path):
    return package_template(root / "template.yaml", key_prefix="hello")


def test_same_input_twice_gives_identical_package(app: Path) -> None:
    first, second = _package(app), _package(app)
    assert first.digest == second.digest
    assert first.template == second.template
    assert [(a.key, a.data) for a in first.artifacts] == [(a.key, a.data) for a in second.artifacts]
    assert first.template_body("bucket-a") == second.template_body("bucket-a")


def test_times_permissions_and_location_do_not_matter(app: Path, tmp_path: Path) -> None:
    before = _package(app)
    for path in (app / "src").rglob("*.py"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
        path.chmod(0o755)
    moved = shutil.copytree(app, tmp_path / "elsewhere" / "app")
    assert _package(app).digest == before.digest
    assert _package(moved).digest == before.digest
    assert _package(moved).artifacts[0].data == before.artifacts[0].data


def test_content_change_changes_key_and_digest(app: Path) -> None:
    before = _package(app)
    (app / "src" / "lib" / "util.py").write_text("X = 2\n")
    after = _package(app)
    assert after.digest != before.digest
    assert after.artifacts[0].key != before.artifacts[0].key


def test_bytecode_and_caches_change_nothing(app: Path) -> None:
    before = _package(app)
    (app / "src" / "__pycache__" / "util.cpython-312.pyc").write_bytes(b"other")
    assert _package(app).digest == before.digest


def test_zip_entries_are_sorted_files_with_fixed_time_and_mode(app: Path) -> None:
    archive = zipfile.ZipFile(io.BytesIO(zip_directory(app / "src")))
    infos = archive.infolist()
    assert [i.filename for i in infos] == ["app.py", "lib/util.py"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert archive.read("lib/util.py") == b"X = 1\n"


def test_local_code_is_rewritten_to_a_content_addressed_key(app: Path) -> None:
    package = _package(app)
    (artifact,) = package.artifacts
    assert artifact.logical_id == "Function"
    assert artifact.key == f"hello/code/{artifact.sha256}.zip"
    assert artifact.size == len(artifact.data)
    assert package.template["Resources"]["Function"]["Properties"]["Code"] == {
        "S3Bucket": BUCKET_PLACEHOLDER,
        "S3Key": artifact.key,
    }
    assert package.template["Resources"]["Other"]["Properties"]["Code"] == {
        "ZipFile": "def handler(event, context): return 1"
    }
    assert "data" not in repr(artifact)


def test_template_body_and_key_are_per_bucket(app: Path) -> None:
    package = _package(app)
    body = json.loads(package.template_body("bucket-a"))
    assert body["Resources"]["Function"]["Properties"]["Code"]["S3Bucket"] == "bucket-a"
    assert body["AWSTemplateFormatVersion"] == "2010-09-09"
    assert package.template_key("bucket-a").startswith("hello/templates/")
    assert package.template_key("bucket-a").endswith(".json")
    assert package.template_key("bucket-a") != package.template_key("bucket-b")
    assert BUCKET_PLACEHOLDER not in package.template_body("bucket-a")


def test_missing_code_directory_is_reported(app: Path) -> None:
    shutil.rmtree(app / "src")
    with pytest.raises(FlightdeckError, match="Lambda code must be a local directory"):
        _package(app)


def test_hello_application_packages() -> None:
    package = package_template(HELLO, key_prefix="hello")
    (artifact,) = package.artifacts
    assert zipfile.ZipFile(io.BytesIO(artifact.data)).namelist() == ["handler.py"]
    assert package.digest == package_template(HELLO, key_prefix="hello").digest
