"""Command line: run the local AWS emulator in the foreground until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m flightdeck.localaws", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port to bind; 0 picks a free port")
    parser.add_argument("--stock", action="store_true", help="plain moto, without Flightdeck's fixes")
    parser.add_argument("--port-file", type=Path, help="write the bound port to this file once listening")
    return parser.parse_args(argv)


def _write_port_file(path: Path, port: int) -> None:
    # Write then rename, so a reader polling the file never sees it half written.
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(f"{port}\n", encoding="utf-8")
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; returns the exit status."""
    args = _parse_args(argv)
    if not args.stock:
        from flightdeck.localaws.fixes import apply_fixes

        apply_fixes()

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    port = server.server_port
    # moto builds callback URLs (custom resources) from MOTO_PORT; Lambda handlers call back to this URL.
    os.environ["MOTO_PORT"] = str(port)
    connect_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    os.environ["FLIGHTDECK_LOCALAWS_URL"] = f"http://{connect_host}:{port}"

    def _stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever() to return, so it must not run on the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.port_file:
        _write_port_file(args.port_file, port)
    print(f"flightdeck.localaws listening on http://{args.host}:{port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
