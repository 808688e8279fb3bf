"""``python -m flightdeck``: the command line."""

from __future__ import annotations

from flightdeck.cli import main

raise SystemExit(main())
