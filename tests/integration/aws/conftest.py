"""Fixtures of the aws-layer integration tests."""

from __future__ import annotations

import json

import pytest
from aws_helpers import API_TOKEN, DEV, GREETING, HelloTarget, admin_session, bootstrap, deploy_session


@pytest.fixture
def hello(local_aws: str) -> HelloTarget:
    """Account 111111111111 in eu-west-1, bootstrapped, with the greeting and the API token seeded."""
    bootstrap(DEV)
    admin = admin_session(DEV)
    admin.client("ssm").put_parameter(Name="/flightdeck/hello/greeting", Value=GREETING, Type="String")
    admin.client("secretsmanager").create_secret(
        Name="flightdeck/hello/api-token", SecretString=json.dumps({"token": API_TOKEN})
    )
    return HelloTarget(session=deploy_session(DEV))
