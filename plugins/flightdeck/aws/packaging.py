"""Package a template's local Lambda code into content-addressed zips; upload them to an artifact bucket."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from botocore.exceptions import ClientError

from flightdeck.errors import DeploymentError, FlightdeckError

if TYPE_CHECKING:
    from flightdeck.aws.session import AccountSession

log = logging.getLogger(__name__)

# Stands for the artifact bucket until the template is written for one bucket (one per account and region).
BUCKET_PLACEHOLDER = "@@FLIGHTDECK_ARTIFACT_BUCKET@@"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_SKIPPED_DIRS = {"__pycache__", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}


class _TemplateLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that keeps dates as strings (``2010-09-09``) and reads CloudFormation tags."""


_TemplateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_tag(loader: _TemplateLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    """``!Ref x`` → ``{"Ref": "x"}``, ``!GetAtt a.b`` → ``{"Fn::GetAtt": ["a", "b"]}``, ``!X`` → ``Fn::X``."""
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_TemplateLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: str | Path) -> dict[str, Any]:
    """Read a CloudFormation template (YAML or JSON), with short-form tags converted to their long form."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise FlightdeckError(f"{path}: cannot read template: {err.strerror}") from err
    try:
        template = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_TemplateLoader)
    except (ValueError, yaml.YAMLError) as err:
        raise FlightdeckError(f"{path}: not a valid template: {err}") from err
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise FlightdeckError(f"{path}: a CloudFormation template needs a Resources mapping")
    return template


def parse_template(body: str | dict[str, Any]) -> dict[str, Any]:
    """A template as CloudFormation returns it (``GetTemplate``: a dict for JSON, text for YAML) as a dict."""
    if isinstance(body, dict):
        return body
    try:
        template = json.loads(body) if body.lstrip().startswith("{") else yaml.load(body, Loader=_TemplateLoader)
    except (ValueError, yaml.YAMLError) as err:
        raise FlightdeckError(f"CloudFormation returned a template that cannot be read: {err}") from err
    return template if isinstance(template, dict) else {}


def canonical_json(data: Any) -> str:
    """The one JSON text of ``data``: sorted keys, no insignificant whitespace."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Artifact:
    """One zipped code directory, stored under a key derived from its content.

    :param logical_id: the Lambda function resource whose ``Code`` it is.
    :param key: S3 key, ``<prefix>/code/<sha256>.zip``.
    :param sha256: hex SHA-256 of ``data``.
    :param size: length of ``data`` in bytes.
    :param data: the zip file.
    """

    logical_id: str
    key: str
    sha256: str
    size: int
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Package:
    """A template whose local code paths point at uploaded artifacts; the bucket is filled in per bucket.

    :param key_prefix: S3 key prefix of every object of the package.
    :param template: the rewritten template, with :data:`BUCKET_PLACEHOLDER` for the bucket.
    :param artifacts: the zipped code directories, sorted by logical id.
    :param digest: SHA-256 over template and artifacts: identical inputs give an identical digest.
    """

    key_prefix: str
    template: dict[str, Any]
    artifacts: tuple[Artifact, ...]
    digest: str

    def template_body(self, bucket: str) -> str:
        """The template as canonical JSON, with its code locations in ``bucket``."""
        return canonical_json(self.template).replace(BUCKET_PLACEHOLDER, bucket)

    def template_sha256(self, bucket: str) -> str:
        """The SHA-256 of :meth:`template_body` for ``bucket``."""
        return _sha256(self.template_body(bucket).encode())

    def template_key(self, bucket: str) -> str:
        """The content-addressed key of :meth:`template_body` for ``bucket``."""
        return f"{self.key_prefix}/templates/{self.template_sha256(bucket)}.json"


@dataclass(frozen=True)
class UploadResult:
    """What :func:`upload_package` did.

    :param template_url: the template's URL, as CloudFormation's ``TemplateURL`` wants it.
    :param uploaded: keys written by this call.
    :param skipped: keys that were already in the bucket.
    """

    template_url: str
    uploaded: tuple[str, ...]
    skipped: tuple[str, ...]


def package_template(template_path: Path, *, key_prefix: str) -> Package:
    """Zip every ``AWS::Lambda::Function`` whose ``Code`` is a local directory (relative to the template)."""
    template = load_template(template_path)
    prefix = key_prefix.strip("/")
    artifacts = []
    for logical_id, resource in sorted(template["Resources"].items()):
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Lambda::Function":
            continue
        properties = resource.get("Properties") or {}
        code = properties.get("Code")
        if not isinstance(code, str):
            continue
        data = zip_directory(template_path.parent / code)
        digest = _sha256(data)
        key = f"{prefix}/code/{digest}.zip"
        artifacts.append(Artifact(logical_id=logical_id, key=key, sha256=digest, size=len(data), data=data))
        properties["Code"] = {"S3Bucket": BUCKET_PLACEHOLDER, "S3Key": key}
    manifest = canonical_json({"template": template, "artifacts": [[a.logical_id, a.key] for a in artifacts]})
    return Package(
        key_prefix=prefix,
        template=template,
        artifacts=tuple(artifacts),
        digest=_sha256(manifest.encode()),
    )


def zip_directory(directory: Path) -> bytes:
    """A zip of ``directory`` that depends only on file names and contents (not on times, modes or OS)."""
    if not directory.is_dir():
        raise FlightdeckError(f"{directory}: Lambda code must be a local directory")
    files = sorted(
        path
        for path in directory.rglob("*")
        if path.is_file()
        and path.suffix not in _SKIPPED_SUFFIXES
        and not _SKIPPED_DIRS.intersection(path.relative_to(directory).parts)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), date_time=_ZIP_DATE)
            info.create_system = 3  # Unix, whatever machine packages it
            info.external_attr = 0o100644 << 16  # regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return buffer.getvalue()


def upload_package(session: AccountSession, bucket: str, package: Package) -> UploadResult:
    """Upload what ``bucket`` lacks (``s3:HeadObject``, ``s3:PutObject``): code zips, then the template."""
    template_key = package.template_key(bucket)
    objects = [(a.key, a.data, "application/zip") for a in package.artifacts]
    objects.append((template_key, package.template_body(bucket).encode(), "application/json"))
    uploaded, skipped = [], []
    for key, data, content_type in objects:
        if _exists(session, bucket, key):
            skipped.append(key)
            continue
        try:
            session.client("s3").put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
        except ClientError as err:
            raise _s3_error(session, f"Cannot upload s3://{bucket}/{key}", err) from err
        uploaded.append(key)
    log.info("Package %s in s3://%s: uploaded %s, already there %s", package.digest, bucket, uploaded, skipped)
    url = f"https://{bucket}.s3.{session.region}.amazonaws.com/{template_key}"
    return UploadResult(template_url=url, uploaded=tuple(uploaded), skipped=tuple(skipped))


def _exists(session: AccountSession, bucket: str, key: str) -> bool:
    try:
        session.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise _s3_error(session, f"Cannot read s3://{bucket}/{key}", err) from err
    return True


def _s3_error(session: AccountSession, message: str, err: ClientError) -> DeploymentError:
    return DeploymentError(message, account=session.account_id, region=session.region, reason=str(err))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
