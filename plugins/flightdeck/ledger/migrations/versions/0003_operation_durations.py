"""Operation durations.

How long an attempt's change set took to create and its stack operation took to run, in seconds, as the triggers
observed them (they poll near the expected end of the next ones).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flightdeck_deployments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_set_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("operation_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flightdeck_deployments", schema=None) as batch_op:
        batch_op.drop_column("operation_seconds")
        batch_op.drop_column("change_set_seconds")
