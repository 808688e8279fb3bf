"""Resolve a target's stack parameters: literals, SSM parameters, Secrets Manager secrets, release values."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from flightdeck.aws.config_store import KEY_PATTERN, NAMESPACE
from flightdeck.aws.session import AccountSession
from flightdeck.errors import FlightdeckError

KINDS = ("literal", "ssm", "secretsmanager", "release")
ACCESS_DENIED = ("AccessDenied", "AccessDeniedException")
# arn:partition:secretsmanager:region:account:secret:name-suffix; a json key may follow after one more colon.
_SECRET_ARN_PARTS = 7


@dataclass(frozen=True)
class SecretReference:
    """The value of a ``secretsmanager`` parameter: a secret and, optionally, a key of its JSON object.

    :param secret_id: the secret's name or ARN.
    :param json_key: the top-level key of the SecretString's JSON object to use; ``None`` uses the whole string.
    """

    secret_id: str
    json_key: str | None = None

    @classmethod
    def parse(cls, text: str) -> SecretReference:
        """``name``, ``name:json-key``, ``arn:...:secret:name-suffix`` or ``arn:...:secret:name-suffix:json-key``.

        :raises FlightdeckError: when the text is no such reference.
        """
        if text.startswith("arn:"):
            parts = text.split(":", _SECRET_ARN_PARTS)
            if len(parts) < _SECRET_ARN_PARTS or parts[2] != "secretsmanager" or parts[5] != "secret" or not parts[6]:
                raise FlightdeckError(
                    f"{text!r} is not a Secrets Manager ARN: expected "
                    "arn:aws:secretsmanager:<region>:<account>:secret:<name>[:<json-key>]"
                )
            secret_id = ":".join(parts[:_SECRET_ARN_PARTS])
            key = parts[_SECRET_ARN_PARTS] if len(parts) > _SECRET_ARN_PARTS else None
        else:
            secret_id, colon, rest = text.partition(":")
            key = rest if colon else None
        if not secret_id or key == "":
            raise FlightdeckError(f"{text!r} is not a secret reference: write <name> or <name>:<json-key>")
        return cls(secret_id=secret_id, json_key=key)


@dataclass(frozen=True)
class ResolvedParameters:
    """Resolved parameter values and, per parameter, a marker of the version that was read.

    :param values: parameter name → value. Secret: pass it to CloudFormation, never log or return it from a task.
    :param versions: parameter name → ``ssm:<path>@<version>``, ``secretsmanager:<secret>@<VersionId>``,
        ``literal`` or ``release``. Holds no value: safe for XCom, logs and release records.
    """

    values: dict[str, str] = field(repr=False)
    versions: dict[str, str]


def resolve_parameters(
    session: AccountSession,
    sources: Sequence[tuple[str, str, str]],
    *,
    release: Mapping[str, str],
) -> dict[str, str]:
    """Each ``(name, kind, value)`` source to its value, read in the session's account and region.

    :param session: session in the target account and region.
    :param sources: ``literal`` (the value itself), ``ssm`` (a parameter path, read with ``ssm:GetParameter``
        and decryption), ``secretsmanager`` (a :class:`SecretReference`, read with
        ``secretsmanager:GetSecretValue``) or ``release`` (a key of ``release``, e.g. ``version``).
    :param release: values of this release, e.g. ``{"version": "1.2.0", "run_id": "..."}``.
    :raises FlightdeckError: at the first parameter that cannot be resolved, naming it and its reference.
    """
    return resolve_parameters_with_versions(session, sources, release=release).values


def resolve_parameters_with_versions(
    session: AccountSession,
    sources: Sequence[tuple[str, str, str]],
    *,
    release: Mapping[str, str],
) -> ResolvedParameters:
    """Like :func:`resolve_parameters`, also returning which version of each SSM parameter and secret was read."""
    resolver = _Resolver(session, release)
    values: dict[str, str] = {}
    versions: dict[str, str] = {}
    for name, kind, value in sources:
        values[name], versions[name] = resolver.resolve(name, kind, value)
    return ResolvedParameters(values=values, versions=versions)


def resolve_pinned_parameters(
    session: AccountSession,
    sources: Sequence[tuple[str, str, str]],
    *,
    versions: Mapping[str, str],
    release: Mapping[str, str],
) -> dict[str, str]:
    """Resolve ``sources`` as an earlier release read them: each SSM parameter and secret at its recorded version.

    :param versions: the :attr:`ResolvedParameters.versions` recorded by that release (no value in it).
    :param release: that release's values (its version, its run id).
    :raises FlightdeckError: a parameter has no recorded version, or that version cannot be read any more.
    """
    resolver = _Resolver(session, release)
    values: dict[str, str] = {}
    for name, kind, value in sources:
        marker = versions.get(name)
        if marker is None:
            raise FlightdeckError(f"Parameter {name} ({kind}:{value}) was not recorded by that release")
        pinned = marker.rpartition("@")[2] if kind in ("ssm", "secretsmanager") else None
        values[name] = resolver.resolve(name, kind, value, pinned=pinned)[0]
    return values


def check_parameters(
    session: AccountSession,
    sources: Sequence[tuple[str, str, str]],
    *,
    release: Mapping[str, str],
) -> list[str]:
    """Every problem resolving ``sources`` in the session's account, one sentence each; empty when all resolve.

    Reads exactly what a deployment reads (so a missing permission shows up too), but keeps going after a
    problem: each sentence names the parameter, its reference, the account and region, and what to fix.
    """
    resolver = _Resolver(session, release)
    problems: list[str] = []
    for name, kind, value in sources:
        try:
            resolver.resolve(name, kind, value)
        except FlightdeckError as err:
            problems.append(str(err))
    return problems


def read_ssm_parameter(session: AccountSession, path: str) -> str:
    """The decrypted value of SSM parameter ``path`` in the session's account (``ssm:GetParameter``)."""
    return _Resolver(session, {}).resolve(path, "ssm", path)[0]


class _Resolver:
    """Resolves sources one by one in one account and region, reading each secret once.

    :param session: session in the target account and region.
    :param release: values of this release.
    """

    def __init__(self, session: AccountSession, release: Mapping[str, str]) -> None:
        self.session = session
        self.release = release
        self._secrets: dict[str, tuple[str, str]] = {}  # secret id@pinned version → (SecretString, VersionId)

    def resolve(self, name: str, kind: str, value: str, *, pinned: str | None = None) -> tuple[str, str]:
        """The value of one source and its version marker; ``pinned``: read that version of a parameter/secret."""
        about = f"Parameter {name} ({kind}:{value})"
        if kind == "literal":
            return value, "literal"
        if kind == "release":
            if value not in self.release:
                known = ", ".join(sorted(self.release))
                raise FlightdeckError(f"{about}: unknown release value {value!r} (known: {known})")
            return self.release[value], "release"
        if kind == "ssm":
            resolved, version = self._ssm(about, f"{value}:{pinned}" if pinned else value)
            return resolved, f"ssm:{value}@{version}"
        if kind == "secretsmanager":
            try:
                reference = SecretReference.parse(value)
            except FlightdeckError as err:
                raise FlightdeckError(f"{about}: {err}") from err
            resolved, version = self._secret(about, reference, pinned)
            return resolved, f"secretsmanager:{reference.secret_id}@{version}"
        raise FlightdeckError(f"{about}: unknown source kind {kind!r} (one of {', '.join(KINDS)})")

    @property
    def _where(self) -> str:
        return f"in account {self.session.account_id}, region {self.session.region}"

    def _ssm(self, about: str, path: str) -> tuple[str, int]:
        """``ssm:GetParameter`` with decryption: the value and its version number."""
        try:
            parameter = self.session.client("ssm").get_parameter(Name=path, WithDecryption=True)["Parameter"]
        except ClientError as err:
            code = _code(err)
            if code == "ParameterNotFound":
                raise FlightdeckError(
                    f"{about}: the SSM parameter does not exist {self._where}; {_create(path, secret=False)} or "
                    "correct the reference in the manifest"
                ) from err
            if code in ACCESS_DENIED:
                raise FlightdeckError(
                    f"{about}: the deploy role may not read this SSM parameter {self._where}; the bootstrap "
                    "grants ssm:GetParameter under /flightdeck/ only: move it there or re-run flightdeck bootstrap"
                ) from err
            raise FlightdeckError(f"{about}: cannot read the SSM parameter {self._where}: {code}: {err}") from err
        except BotoCoreError as err:
            raise FlightdeckError(f"{about}: cannot read the SSM parameter {self._where}: {err}") from err
        return parameter["Value"], parameter["Version"]

    def _secret(self, about: str, reference: SecretReference, version_id: str | None = None) -> tuple[str, str]:
        """The secret's string (or one key of its JSON object) and its ``VersionId`` (current, or ``version_id``)."""
        cache_key = f"{reference.secret_id}@{version_id or ''}"
        if cache_key not in self._secrets:
            self._secrets[cache_key] = self._read_secret(about, reference.secret_id, version_id)
        text, version = self._secrets[cache_key]
        if reference.json_key is None:
            return text, version
        key = reference.json_key
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise FlightdeckError(
                f"{about}: the secret {self._where} is not a JSON object, so it has no key {key!r}; "
                f"store a JSON object in it or drop ':{key}' from the reference"
            )
        if key not in document:
            raise FlightdeckError(
                f"{about}: the secret {self._where} has no key {key!r}; add it to the secret's JSON object or "
                "correct the key in the manifest"
            )
        item = document[key]
        if item is None:
            raise FlightdeckError(f"{about}: key {key!r} of the secret {self._where} is null; give it a value")
        return (item if isinstance(item, str) else json.dumps(item, separators=(",", ":"))), version

    def _read_secret(self, about: str, secret_id: str, version_id: str | None = None) -> tuple[str, str]:
        """``secretsmanager:GetSecretValue`` of the current version (or ``version_id``): SecretString, VersionId."""
        pinned = {"VersionId": version_id} if version_id else {}
        try:
            response = self.session.client("secretsmanager").get_secret_value(SecretId=secret_id, **pinned)
        except ClientError as err:
            raise FlightdeckError(f"{about}: {_secret_error(err, secret_id, self._where)}") from err
        except BotoCoreError as err:
            raise FlightdeckError(f"{about}: cannot read the secret {self._where}: {err}") from err
        if "SecretString" not in response:
            raise FlightdeckError(
                f"{about}: the secret {self._where} holds binary data (SecretBinary); stack parameters need "
                "text: store it as a SecretString"
            )
        return response["SecretString"], response["VersionId"]


def _create(reference: str, *, secret: bool) -> str:
    """How to create a missing parameter or secret: with ``flightdeck config`` when it is in an environment's store."""
    parts = reference.removeprefix("/").split("/")
    if len(parts) != 4 or parts[0] != NAMESPACE or not KEY_PATTERN.fullmatch(parts[3]):
        return "create it there"
    value = "--secret" if secret else "VALUE"
    return f"create it with `flightdeck config set MANIFEST {parts[3]} {value} --env {parts[2]}`"


def _secret_error(err: ClientError, secret_id: str, where: str) -> str:
    """What went wrong reading a secret, and what to do about it (AWS's messages never hold secret values)."""
    code = _code(err)
    if code == "ResourceNotFoundException":
        return f"the secret does not exist {where}; {_create(secret_id, secret=True)} or correct the reference"
    if code in ACCESS_DENIED:
        return (
            f"the deploy role may not read the secret {where} (secretsmanager:GetSecretValue); the bootstrap grants "
            "it on flightdeck/* secrets only: rename the secret or re-run flightdeck bootstrap"
        )
    if code == "DecryptionFailure":
        return f"the secret cannot be decrypted {where}; give the deploy role kms:Decrypt on the secret's KMS key"
    if code == "InvalidRequestException":
        return (
            f"the secret cannot be read {where} (is it scheduled for deletion?); restore it "
            "(aws secretsmanager restore-secret) or point the parameter at another secret"
        )
    return f"cannot read the secret {where}: {code}: {err.response.get('Error', {}).get('Message', '')}"


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))
