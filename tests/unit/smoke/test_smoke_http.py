"""HTTP smoke checks against a real local server: status, JSON paths, latency, timeout, refused connections."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flightdeck.plan import HttpCheck
from flightdeck.smoke import run_checks
from flightdeck.smoke.http_check import run_http_check

PLACEHOLDERS = {"environment": "dev", "account_id": "111111111111", "region": "eu-west-1", "version": "1.2.3"}
ITEMS = {"status": "ok", "version": "1.2.3", "data": {"items": [{"id": 7, "name": "first"}]}}


class _Handler(BaseHTTPRequestHandler):
    """``/items`` answers ITEMS; ``/slow`` the same after 300 ms; ``/hang`` after 1 s; ``/page`` HTML; ``/broken``
    a 500; a POST to ``/echo`` answers 201 with the JSON body it got."""

    def do_GET(self) -> None:
        if self.path.startswith("/items"):
            self._send(200, ITEMS)
        elif self.path == "/slow":
            time.sleep(0.3)
            self._send(200, ITEMS)
        elif self.path == "/hang":
            time.sleep(1)
            self._send(200, ITEMS)
        elif self.path == "/page":
            self._send(200, "<html>hello</html>", content_type="text/html")
        elif self.path == "/broken":
            self._send(500, {"message": "Internal Server Error"})
        else:
            self._send(404, {"message": "Not Found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self._send(201, {"received": json.loads(self.rfile.read(length)), "path": self.path})

    def _send(self, status: int, body: object, content_type: str = "application/json") -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def check(**kwargs: object) -> HttpCheck:
    return HttpCheck(name="health", url_output="ApiUrl", **kwargs)  # type: ignore[arg-type]


def test_status_and_json_paths_pass(base_url: str) -> None:
    expect = (("data.items[0].id", 7), ("status", "ok"), ("version", "{version}"))
    problems, details = run_http_check(check(path="/items?limit=1", expect_json=expect), base_url, PLACEHOLDERS)
    assert problems == []
    assert details["url"] == base_url + "items?limit=1"
    assert (details["method"], details["status_code"]) == ("GET", 200)
    assert 0 <= details["latency_ms"] < 1000


def test_through_run_checks_with_the_url_from_a_stack_output(base_url: str) -> None:
    [result] = run_checks(None, {"ApiUrl": base_url}, [check(path="/items")], PLACEHOLDERS)  # type: ignore[arg-type]
    assert result["passed"]
    assert result["details"]["status_code"] == 200


def test_unexpected_status_shows_the_answer(base_url: str) -> None:
    problems, details = run_http_check(check(path="/broken"), base_url, PLACEHOLDERS)
    assert problems == ['status 500, expected 200 (answer: \'{"message": "Internal Server Error"}\')']
    assert details["status_code"] == 500


def test_values_at_json_paths(base_url: str) -> None:
    expect = (("data.items[0].id", 8), ("data.items[1].id", 9), ("version", "{version}"))
    problems, _ = run_http_check(check(path="/items", expect_json=expect), base_url, {**PLACEHOLDERS, "version": "2"})
    assert problems == [
        "data.items[0].id is 7, expected 8",
        "data.items[1].id missing: data.items has 1 item, no [1]; expected 9",
        "version is '1.2.3', expected '2'",
    ]


def test_an_answer_that_is_not_json(base_url: str) -> None:
    problems, _ = run_http_check(check(path="/page", expect_json=(("status", "ok"),)), base_url, PLACEHOLDERS)
    assert problems == ["the answer is not JSON (text/html): '<html>hello</html>'"]


def test_post_sends_the_json_body(base_url: str) -> None:
    http = check(
        path="/echo",
        method="POST",
        body_json='{"name":"flightdeck"}',
        expect_status=201,
        expect_json=(("received.name", "flightdeck"), ("path", "/echo")),
    )
    problems, details = run_http_check(http, base_url, PLACEHOLDERS)
    assert (problems, details["method"]) == ([], "POST")


def test_latency_limit_exceeded(base_url: str) -> None:
    problems, details = run_http_check(check(path="/slow", max_latency_ms=100), base_url, PLACEHOLDERS)
    assert details["latency_ms"] >= 300
    assert problems == [f"answered in {details['latency_ms']} ms, more than max_latency 100ms"]


def test_timeout(base_url: str) -> None:
    started = time.perf_counter()
    problems, details = run_http_check(check(path="/hang", timeout_ms=200), base_url, PLACEHOLDERS)
    assert time.perf_counter() - started < 0.9  # gave up before the server answered
    assert problems == [f"no answer from GET {base_url}hang within the timeout of 200ms"]
    assert "status_code" not in details


def test_connection_refused() -> None:
    with socket.socket() as sock:  # a port nobody listens on any more
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    problems, _ = run_http_check(check(path="/items"), f"http://127.0.0.1:{port}", PLACEHOLDERS)
    assert problems == [f"cannot connect to http://127.0.0.1:{port}/items: [Errno 111] Connection refused"]


def test_an_output_that_is_not_a_url() -> None:
    problems, _ = run_http_check(check(), "hello-dev-Function", PLACEHOLDERS)
    assert problems == ["stack output ApiUrl is 'hello-dev-Function', not an http:// or https:// URL"]
