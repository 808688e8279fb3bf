"""An environment's configuration in its own account: SSM parameters and secrets under flightdeck/<app>/<env>/."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from flightdeck.aws.session import AccountSession
from flightdeck.errors import FlightdeckError

NAMESPACE = "flightdeck"
KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
RECOVERY_DAYS = 7  # the shortest recovery window Secrets Manager allows
ACCESS_DENIED = ("AccessDenied", "AccessDeniedException")

Store = Literal["ssm", "secretsmanager"]
Status = Literal["equal", "differs", "only-left", "only-right", "type-differs"]


def parameter_path(application: str, environment: str, key: str) -> str:
    """The SSM parameter holding a plain key: ``/flightdeck/<application>/<environment>/<key>``."""
    return f"/{secret_name(application, environment, key)}"


def secret_name(application: str, environment: str, key: str) -> str:
    """The Secrets Manager secret holding a secret key: ``flightdeck/<application>/<environment>/<key>``."""
    return f"{NAMESPACE}/{application}/{environment}/{check_key(key)}"


def check_key(key: str) -> str:
    """``key`` if it can name both an SSM parameter and a secret; otherwise a FlightdeckError saying why."""
    if not KEY_PATTERN.fullmatch(key):
        raise FlightdeckError(
            f"{key!r} is not a configuration key: use letters, digits, '.', '_' and '-' (no '/'), starting with "
            "a letter or digit, at most 128 characters, e.g. api-token"
        )
    return key


@dataclass(frozen=True)
class ConfigEntry:
    """One key of an environment's configuration in one account and region.

    :param key: the key, e.g. ``greeting``.
    :param store: ``ssm`` (Parameter Store) or ``secretsmanager``.
    :param secret: whether the value is secret (a Secrets Manager secret or an SSM SecureString).
    :param value: the value of a plain key; always ``None`` for a secret.
    :param version: the SSM parameter version, or the secret's current ``VersionId``.
    """

    key: str
    store: Store
    secret: bool
    value: str | None
    version: str


@dataclass(frozen=True)
class KeyComparison:
    """How one key compares between two stores (``left`` and ``right``); secret values are never carried.

    :param key: the key.
    :param status: ``equal``, ``differs``, ``only-left``, ``only-right`` or ``type-differs`` (plain on one
        side, secret on the other).
    :param left: the key in the left store, if set there.
    :param right: the key in the right store, if set there.
    """

    key: str
    status: Status
    left: ConfigEntry | None
    right: ConfigEntry | None


class ConfigStore:
    """The configuration of one application environment in one account and region.

    :param session: a session in the account and region (the environment's deploy role).
    :param application: the manifest's application.
    :param environment: the environment name.
    """

    def __init__(self, session: AccountSession, *, application: str, environment: str) -> None:
        self.session = session
        self.application = application
        self.environment = environment
        self.prefix = f"{NAMESPACE}/{application}/{environment}/"

    def __repr__(self) -> str:
        return f"ConfigStore({self.prefix!r}, {self.session!r})"

    @property
    def where(self) -> str:
        """``in account <id>, region <region>``."""
        return f"in account {self.session.account_id}, region {self.session.region}"

    def entries(self) -> list[ConfigEntry]:
        """Every key, by key: ``ssm:GetParametersByPath`` and ``secretsmanager:ListSecrets``; no secret is read.

        ListSecrets is eventually consistent on AWS: a secret set in the last minutes may be missing here.
        """
        path = f"/{self.prefix}".rstrip("/")
        with self._calling(f"list the SSM parameters under {path}"):
            pages = self._ssm.get_paginator("get_parameters_by_path").paginate(Path=path, WithDecryption=False)
            parameters = [parameter for page in pages for parameter in page["Parameters"]]
        with self._calling(f"list the secrets named {self.prefix}*"):
            filters = [{"Key": "name", "Values": [self.prefix]}]
            pages = self._secrets.get_paginator("list_secrets").paginate(Filters=filters)
            secrets = [secret for page in pages for secret in page["SecretList"] if "DeletedDate" not in secret]
        found = [_parameter_entry(key, p) for p in parameters if (key := self._key(p["Name"][1:]))]
        found += [_secret_entry(key, s) for s in secrets if (key := self._key(s["Name"]))]
        return sorted(found, key=lambda entry: (entry.key, entry.store))

    def entry(self, key: str) -> ConfigEntry | None:
        """The key, plain or secret: ``ssm:GetParameter`` and ``secretsmanager:DescribeSecret`` (no value read)."""
        parameter = self._parameter(key, decrypt=False)
        secret = self._describe_secret(key)
        if parameter and _live(secret):
            raise FlightdeckError(_both(key, self.where))
        if parameter:
            return _parameter_entry(key, parameter)
        return _secret_entry(key, secret) if secret and _live(secret) else None

    def reveal(self, entry: ConfigEntry) -> str:
        """A secret's value: ``secretsmanager:GetSecretValue``, or ``ssm:GetParameter`` with decryption."""
        if entry.store == "ssm":
            parameter = self._parameter(entry.key, decrypt=True)
            if parameter is None:
                raise FlightdeckError(f"{entry.key} is not set {self.where}")
            return str(parameter["Value"])
        name = self._name(entry.key)
        with self._calling(f"read secret {name}"):
            response = self._secrets.get_secret_value(SecretId=name)
        if "SecretString" not in response:
            raise FlightdeckError(f"secret {name} {self.where} holds binary data, which Flightdeck does not manage")
        return str(response["SecretString"])

    def set_plain(self, key: str, value: str) -> ConfigEntry:
        """Create or overwrite a plain key: ``ssm:PutParameter`` (``String``)."""
        existing = self.entry(key)
        if existing and existing.secret:
            raise FlightdeckError(f"{key} is a secret {self.where}; unset it with --secret first, or set it --secret")
        path = "/" + self._name(key)
        with self._calling(f"write SSM parameter {path}"):
            response = self._ssm.put_parameter(Name=path, Value=value, Type="String", Overwrite=True)
        return ConfigEntry(key=key, store="ssm", secret=False, value=value, version=str(response["Version"]))

    def set_secret(self, key: str, value: str) -> ConfigEntry:
        """Store a new value of a secret key: ``secretsmanager:PutSecretValue``, or ``CreateSecret`` the first time."""
        name = self._name(key)
        if self._parameter(key, decrypt=False):
            raise FlightdeckError(f"{key} is a plain SSM parameter {self.where}; unset it first to make it a secret")
        described = self._describe_secret(key)
        if described and "DeletedDate" in described:
            raise FlightdeckError(
                f"secret {name} {self.where} is scheduled for deletion; restore it "
                f"(aws secretsmanager restore-secret --secret-id {name}) or wait until it is gone"
            )
        with self._calling(f"write secret {name}", redact=value):
            if described:
                response = self._secrets.put_secret_value(SecretId=name, SecretString=value)
            else:
                description = f"Flightdeck configuration of {self.application} {self.environment}"
                response = self._secrets.create_secret(Name=name, SecretString=value, Description=description)
        return ConfigEntry(key=key, store="secretsmanager", secret=True, value=None, version=response["VersionId"])

    def unset(self, key: str, *, secret: bool, without_recovery: bool = False) -> bool:
        """Delete a key; False if it was not set. ``ssm:DeleteParameter`` or ``secretsmanager:DeleteSecret``.

        :param secret: delete the secret rather than the plain parameter.
        :param without_recovery: delete a secret at once instead of after a recovery window of
            :data:`RECOVERY_DAYS` days (during which its name cannot be reused).
        """
        name = self._name(key)
        if not secret:
            path = f"/{name}"
            if self._unless_missing(f"delete SSM parameter {path}", lambda: self._ssm.delete_parameter(Name=path)):
                return True
            if _live(self._describe_secret(key)):
                raise FlightdeckError(f"{key} is a secret {self.where}: add --secret to delete it")
            return False
        described = self._describe_secret(key)
        if described is None or ("DeletedDate" in described and not without_recovery):
            if self._parameter(key, decrypt=False):
                raise FlightdeckError(f"{key} is a plain SSM parameter {self.where}: drop --secret to delete it")
            return False
        with self._calling(f"delete secret {name}"):
            if without_recovery:
                self._secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
            else:
                self._secrets.delete_secret(SecretId=name, RecoveryWindowInDays=RECOVERY_DAYS)
        return True

    @property
    def _ssm(self) -> Any:
        return self.session.client("ssm")

    @property
    def _secrets(self) -> Any:
        return self.session.client("secretsmanager")

    def _name(self, key: str) -> str:
        """The secret name of ``key``; its SSM parameter path is the same with a leading slash."""
        return secret_name(self.application, self.environment, key)

    def _key(self, name: str) -> str:
        """The key of a secret name (or an SSM path without its slash) in this store; "" if not a key of it."""
        key = name.removeprefix(self.prefix)
        return key if name.startswith(self.prefix) and KEY_PATTERN.fullmatch(key) else ""

    def _parameter(self, key: str, *, decrypt: bool) -> dict[str, Any] | None:
        """``ssm:GetParameter``; None if it does not exist."""
        path = "/" + self._name(key)
        response = self._unless_missing(
            f"read SSM parameter {path}", lambda: self._ssm.get_parameter(Name=path, WithDecryption=decrypt)
        )
        return response and response["Parameter"]

    def _describe_secret(self, key: str) -> dict[str, Any] | None:
        """``secretsmanager:DescribeSecret``; None if it does not exist (a secret pending deletion exists)."""
        name = self._name(key)
        return self._unless_missing(f"describe secret {name}", lambda: self._secrets.describe_secret(SecretId=name))

    def _unless_missing(self, doing: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        """The response of ``call``, or None if what it names does not exist."""
        with self._calling(doing):
            try:
                return call()
            except ClientError as err:
                if _code(err) in ("ParameterNotFound", "ResourceNotFoundException"):
                    return None
                raise

    @contextmanager
    def _calling(self, doing: str, *, redact: str = "") -> Iterator[None]:
        """Turn AWS errors into a FlightdeckError naming the account and region; ``redact`` never shows."""
        try:
            yield
        except ClientError as err:
            code, message = _code(err), str(err.response.get("Error", {}).get("Message", ""))
            leaked = bool(redact) and redact in message
            if leaked:
                message = message.replace(redact, "****")
            hint = (
                "; the deploy role lacks this permission: re-run flightdeck bootstrap" if code in ACCESS_DENIED else ""
            )
            error = FlightdeckError(f"Cannot {doing} {self.where}: {code}: {message}{hint}")
            raise error from (None if leaked else err)
        except BotoCoreError as err:
            raise FlightdeckError(f"Cannot {doing} {self.where}: {err}") from err


def compare(left: ConfigStore, right: ConfigStore) -> list[KeyComparison]:
    """Every key of either store and how it compares; secrets are compared by a digest computed in memory.

    Reads every key of both stores (see :meth:`ConfigStore.entries`) and, for secrets set on both sides, their
    values (``secretsmanager:GetSecretValue``), whose SHA-256 digests are compared and then dropped.
    """
    ours, theirs = _by_key(left), _by_key(right)
    result = []
    for key in sorted(ours.keys() | theirs.keys()):
        mine, other = ours.get(key), theirs.get(key)
        status: Status
        if other is None:
            status = "only-left"
        elif mine is None:
            status = "only-right"
        elif mine.secret != other.secret:
            status = "type-differs"
        elif mine.secret:
            same = hmac.compare_digest(_digest(left.reveal(mine)), _digest(right.reveal(other)))
            status = "equal" if same else "differs"
        else:
            status = "equal" if mine.value == other.value else "differs"
        result.append(KeyComparison(key=key, status=status, left=mine, right=other))
    return result


def _by_key(store: ConfigStore) -> dict[str, ConfigEntry]:
    entries: dict[str, ConfigEntry] = {}
    for entry in store.entries():
        if entry.key in entries:
            raise FlightdeckError(_both(entry.key, store.where))
        entries[entry.key] = entry
    return entries


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _parameter_entry(key: str, parameter: dict[str, Any]) -> ConfigEntry:
    secret = parameter.get("Type") == "SecureString"
    value = None if secret else str(parameter["Value"])
    return ConfigEntry(key=key, store="ssm", secret=secret, value=value, version=str(parameter["Version"]))


def _secret_entry(key: str, secret: dict[str, Any]) -> ConfigEntry:
    stages = secret.get("SecretVersionsToStages") or secret.get("VersionIdsToStages") or {}
    current = next((version for version, names in stages.items() if "AWSCURRENT" in names), "")
    return ConfigEntry(key=key, store="secretsmanager", secret=True, value=None, version=current)


def _both(key: str, where: str) -> str:
    return f"{key} is both an SSM parameter and a secret {where}; unset one of them (unset --secret)"


def _live(secret: dict[str, Any] | None) -> bool:
    """Whether a described secret exists and is not scheduled for deletion."""
    return secret is not None and "DeletedDate" not in secret


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))
