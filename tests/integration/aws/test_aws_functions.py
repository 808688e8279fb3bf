"""The deployed hello function answers with its greeting, version and environment, never its token."""

from __future__ import annotations

import hashlib
import json

import pytest
from aws_helpers import API_TOKEN, GREETING, HelloTarget

from flightdeck.aws.cloudformation import execute_change_set
from flightdeck.aws.functions import invoke_function
from flightdeck.errors import DeploymentError

pytestmark = pytest.mark.integration


def test_invoke_the_deployed_function(hello: HelloTarget) -> None:
    change_set = hello.change_set("1.0.0", "release-1")
    stack = execute_change_set(hello.session, stack_name=hello.stack_name, change_set_id=change_set.id)

    invocation = invoke_function(hello.session, stack.outputs["FunctionName"], {"name": "flightdeck"})
    assert invocation.status_code == 200
    assert invocation.function_error is None
    assert invocation.payload == {
        "status": "ok",
        "message": f"{GREETING} from dev, flightdeck",
        "version": "1.0.0",
        "environment": "dev",
        "token_configured": True,
        "token_sha256_prefix": hashlib.sha256(API_TOKEN.encode()).hexdigest()[:8],
    }
    assert API_TOKEN not in json.dumps(invocation.payload)


def test_missing_function_is_a_deployment_error(hello: HelloTarget) -> None:
    with pytest.raises(DeploymentError, match="Cannot invoke function hello-dev-nope"):
        invoke_function(hello.session, "hello-dev-nope", {})
