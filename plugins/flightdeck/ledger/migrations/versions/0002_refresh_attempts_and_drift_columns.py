"""Refresh attempts and drift columns.

Attempts of kind ``refresh`` (the scheduled refresh), and a refresh's drift report: the stack's drift status and
its drifted resources (logical ids, types, property paths and difference kinds: no values).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KINDS = "kind IN ('deploy', 'rollback', 'refresh')"
DRIFT_STATUSES = "drift_status IS NULL OR drift_status IN ('DRIFTED', 'IN_SYNC', 'UNKNOWN', 'NOT_CHECKED')"


def upgrade() -> None:
    # Autogenerate does not compare check constraints: the kind constraint is dropped and made again by hand.
    with op.batch_alter_table("flightdeck_deployments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("drift_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("drifted_resources", sa.JSON(), nullable=True))
        batch_op.drop_constraint(op.f("ck_flightdeck_deployments_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_flightdeck_deployments_kind"), KINDS)
        batch_op.create_check_constraint(op.f("ck_flightdeck_deployments_drift_status"), DRIFT_STATUSES)


def downgrade() -> None:
    op.execute("DELETE FROM flightdeck_deployments WHERE kind = 'refresh'")
    with op.batch_alter_table("flightdeck_deployments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_flightdeck_deployments_drift_status"), type_="check")
        batch_op.drop_constraint(op.f("ck_flightdeck_deployments_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_flightdeck_deployments_kind"), "kind IN ('deploy', 'rollback')")
        batch_op.drop_column("drifted_resources")
        batch_op.drop_column("drift_status")
