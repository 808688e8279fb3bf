"""Alembic's environment for the release ledger: always handed a connection by ``flightdeck.ledger.migrate``."""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext

from flightdeck.ledger.records import LedgerError
from flightdeck.ledger.schema import VERSION_TABLE, UtcDateTime, include_name, metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """New migrations spell the ledger's timestamp as the plain SQL type, so they never import live code."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise LedgerError("Run the ledger's migrations with flightdeck.ledger.migrate (upgrade or new_revision)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    include_name=include_name,
    compare_type=True,
    render_as_batch=True,  # SQLite alters a table by copying it: autogenerate writes batch operations
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
