"""The hello function: greets the caller and tells which release answered, invoked directly or over HTTP."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from typing import Any

log = logging.getLogger()
log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))


def greet(name: str) -> dict[str, Any]:
    """``{"status": "ok", "message": ...}``; only a hash prefix of the API token, never the token."""
    greeting = os.environ.get("GREETING", "Hello")
    environment = os.environ.get("ENVIRONMENT_NAME", "")
    token = os.environ.get("API_TOKEN", "")
    configured = bool(token) and not token.startswith("{{resolve:")  # an unresolved reference is no token
    log.info("Greeting %s", name)
    return {
        "status": "ok",
        "message": f"{greeting} from {environment}, {name}",
        "version": os.environ.get("APP_VERSION", ""),
        "environment": environment,
        "token_configured": configured,
        "token_sha256_prefix": hashlib.sha256(token.encode()).hexdigest()[:8],
    }


def handler(event: dict[str, Any] | None, context: object) -> dict[str, Any]:
    """A direct invocation (``{"name": ...}``) gets the greeting itself; an HTTP request through the function URL
    (payload format 2.0, ``?name=...``) gets it as a JSON response."""
    event = event or {}
    request = event.get("requestContext")
    if not (isinstance(request, dict) and "http" in request):
        return greet(str(event.get("name", "world")))
    query = event.get("queryStringParameters") or {}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(greet(str(query.get("name", "world")))),
    }
