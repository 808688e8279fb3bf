"""An environment's configuration store in one account: its namespace only, secrets never listed with values."""

from __future__ import annotations

import pytest
from aws_helpers import DEV, bootstrap, deploy_session

from flightdeck.aws.config_store import ConfigEntry, ConfigStore, KeyComparison, compare
from flightdeck.errors import FlightdeckError

pytestmark = pytest.mark.integration


@pytest.fixture
def stores(local_aws: str) -> tuple[ConfigStore, ConfigStore]:
    """The dev and prod configuration of hello, both in account 111111111111 (through its deploy role)."""
    bootstrap(DEV)
    session = deploy_session(DEV)
    return (
        ConfigStore(session, application="hello", environment="dev"),
        ConfigStore(session, application="hello", environment="prod"),
    )


def test_entries_are_the_keys_of_the_namespace_only(stores: tuple[ConfigStore, ConfigStore]) -> None:
    dev, prod = stores
    ssm, secrets = dev.session.client("ssm"), dev.session.client("secretsmanager")
    dev.set_plain("greeting", "Hello")
    dev.set_secret("api-token", "t0ken")
    prod.set_plain("greeting", "Hi")
    ssm.put_parameter(Name="/flightdeck/hello/dev/nested/key", Value="x", Type="String")
    ssm.put_parameter(Name="/flightdeck/hello/devel/greeting", Value="x", Type="String")
    ssm.put_parameter(Name="/flightdeck/hello/dev/hush", Value="quiet", Type="SecureString")
    secrets.create_secret(Name="flightdeck/hello/dev/nested/secret", SecretString="x")
    secrets.create_secret(Name="flightdeck/hello/development/secret", SecretString="x")

    entries = dev.entries()
    assert [(e.key, e.store, e.secret, e.value) for e in entries] == [
        ("api-token", "secretsmanager", True, None),
        ("greeting", "ssm", False, "Hello"),
        ("hush", "ssm", True, None),
    ]
    assert (
        entries[0].version
        == secrets.describe_secret(SecretId="flightdeck/hello/dev/api-token")["VersionIdsToStages"].popitem()[0]
    )
    assert dev.reveal(entries[2]) == "quiet"
    assert dev.entry("greeting") == ConfigEntry("greeting", "ssm", secret=False, value="Hello", version="1")
    assert dev.entry("missing") is None


def test_values_are_written_where_the_manifest_reads_them(stores: tuple[ConfigStore, ConfigStore]) -> None:
    dev, _ = stores
    first = dev.set_secret("api-token", "one")
    second = dev.set_secret("api-token", "two")
    assert first.version != second.version
    assert dev.set_plain("greeting", "Hello").version == "1"
    assert dev.set_plain("greeting", "Hello again").version == "2"
    ssm, secrets = dev.session.client("ssm"), dev.session.client("secretsmanager")
    parameter = ssm.get_parameter(Name="/flightdeck/hello/dev/greeting")["Parameter"]
    assert (parameter["Value"], parameter["Type"]) == ("Hello again", "String")
    current = secrets.get_secret_value(SecretId="flightdeck/hello/dev/api-token")
    assert (current["SecretString"], current["VersionId"]) == ("two", second.version)


def test_compare_reports_every_status_without_values(stores: tuple[ConfigStore, ConfigStore]) -> None:
    dev, prod = stores
    for store, plain, secret in (
        (dev, {"same": "1", "differs": "a", "dev-only": "x", "mixed": "m"}, {"token": "t1", "key": "k"}),
        (prod, {"same": "1", "differs": "b", "prod-only": "y"}, {"token": "t2", "key": "k", "mixed": "m"}),
    ):
        for key, value in plain.items():
            store.set_plain(key, value)
        for key, value in secret.items():
            store.set_secret(key, value)
    result = {c.key: c.status for c in compare(dev, prod)}
    assert result == {
        "dev-only": "only-left",
        "differs": "differs",
        "key": "equal",
        "mixed": "type-differs",
        "prod-only": "only-right",
        "same": "equal",
        "token": "differs",
    }
    token = next(c for c in compare(dev, prod) if c.key == "token")
    assert isinstance(token, KeyComparison)
    assert "t1" not in repr(token)
    assert "t2" not in repr(token)


@pytest.mark.parametrize("key", ["", "a/b", "-x", "x y", "é", "k" * 129])
def test_keys_must_fit_both_stores(stores: tuple[ConfigStore, ConfigStore], key: str) -> None:
    with pytest.raises(FlightdeckError, match="is not a configuration key"):
        stores[0].set_plain(key, "v")


def test_a_key_is_plain_or_secret_not_both(stores: tuple[ConfigStore, ConfigStore]) -> None:
    dev, _ = stores
    dev.set_plain("greeting", "Hello")
    with pytest.raises(FlightdeckError, match="greeting is a plain SSM parameter in account 111111111111"):
        dev.set_secret("greeting", "x")
    dev.session.client("secretsmanager").create_secret(Name="flightdeck/hello/dev/greeting", SecretString="x")
    with pytest.raises(FlightdeckError, match="greeting is both an SSM parameter and a secret"):
        dev.entry("greeting")
