"""The fragile function: answers with its greeting and version, which the smoke test checks."""

from __future__ import annotations

import os
from typing import Any


def handler(event: dict[str, Any] | None, context: object) -> dict[str, Any]:
    """``{"status": "ok", "greeting": ..., "version": ...}``."""
    return {"status": "ok", "greeting": os.environ.get("GREETING", ""), "version": os.environ.get("APP_VERSION", "")}
