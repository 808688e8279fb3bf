"""Smoke checks that send an HTTP request to a URL of the deployed stack."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

import requests

from flightdeck.checks import failed_json_expectations
from flightdeck.plan import HttpCheck

Outcome = tuple[list[str], dict[str, Any]]  # problems, details
_EXCERPT = 200  # characters of an unexpected answer shown in a problem


def run_http_check(check: HttpCheck, base_url: str, placeholders: Mapping[str, str]) -> Outcome:
    """Send the request to ``base_url`` + ``check.path``; check status, JSON paths and latency.

    A timeout, a refused connection or any other failure to get an answer is a problem, not an exception.
    """
    url = base_url.rstrip("/") + check.path if check.path else base_url
    details: dict[str, Any] = {"method": check.method, "url": url}
    if not re.match(r"https?://", url):
        return [f"stack output {check.url_output} is {base_url!r}, not an http:// or https:// URL"], details
    body = json.loads(check.body_json) if check.body_json else None
    started = time.perf_counter()
    try:
        response = requests.request(check.method, url, json=body, timeout=check.timeout_ms / 1000)
    except requests.Timeout:
        return [f"no answer from {check.method} {url} within the timeout of {_ms(check.timeout_ms)}"], details
    except requests.ConnectionError as err:
        return [f"cannot connect to {url}: {_connection_reason(err)}"], details
    except requests.RequestException as err:
        return [f"{check.method} {url} failed: {err}"], details
    latency_ms = round((time.perf_counter() - started) * 1000)
    details.update(status_code=response.status_code, latency_ms=latency_ms)
    problems = []
    if response.status_code != check.expect_status:
        problems.append(
            f"status {response.status_code}, expected {check.expect_status} (answer: {response.text[:_EXCERPT]!r})"
        )
    if check.expect_json:
        try:
            answer = response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            problems.append(f"the answer is not JSON ({kind}): {response.text[:_EXCERPT]!r}")
        else:
            problems += failed_json_expectations(answer, check.expect_json, placeholders)
    if check.max_latency_ms is not None and latency_ms > check.max_latency_ms:
        problems.append(f"answered in {latency_ms} ms, more than max_latency {_ms(check.max_latency_ms)}")
    return problems, details


def _connection_reason(err: requests.ConnectionError) -> str:
    """The innermost reason of a connection failure (``[Errno 111] Connection refused``), without object reprs."""
    text = str(err)
    found = re.findall(r"\[Errno -?\d+\] [^'\")\]]+|Name or service not known|Connection refused", text)
    return found[-1].strip() if found else text


def _ms(milliseconds: int) -> str:
    return f"{milliseconds // 1000}s" if milliseconds % 1000 == 0 else f"{milliseconds}ms"
