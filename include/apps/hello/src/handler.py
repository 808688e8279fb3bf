"""The hello function: greets the caller and tells which release answered."""

from __future__ import annotations

import hashlib
import logging
import os
from typing import Any

log = logging.getLogger()
log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))


def handler(event: dict[str, Any] | None, context: object) -> dict[str, Any]:
    """Answer ``{"status": "ok", "message": ...}``; only a hash prefix of the API token, never the token."""
    name = str((event or {}).get("name", "world"))
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
