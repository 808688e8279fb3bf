"""Deployment attempts and promotion overrides.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flightdeck_deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application", sa.String(length=128), nullable=False),
        sa.Column("environment", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("stack_name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=128), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("artifact_digest", sa.String(length=128), nullable=True),
        sa.Column("template_hash", sa.String(length=128), nullable=True),
        sa.Column("parameters_hash", sa.String(length=128), nullable=True),
        sa.Column("parameter_versions", sa.JSON(), nullable=False),
        sa.Column("change_set_id", sa.String(length=2048), nullable=True),
        sa.Column("triggered_by", sa.String(length=256), nullable=True),
        sa.Column("approved_by", sa.String(length=256), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("rollback_of", sa.Integer(), nullable=True),
        sa.Column("rolled_back_to_version", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flightdeck_deployments")),
        sa.UniqueConstraint(
            "dag_id",
            "run_id",
            "environment",
            "account_id",
            "region",
            "kind",
            name=op.f("uq_flightdeck_deployments_attempt"),
        ),
        sa.CheckConstraint(
            "outcome IN ('in_progress', 'succeeded', 'failed', 'rolled_back', 'never_started')",
            name=op.f("ck_flightdeck_deployments_outcome"),
        ),
        sa.CheckConstraint("kind IN ('deploy', 'rollback')", name=op.f("ck_flightdeck_deployments_kind")),
        sa.ForeignKeyConstraint(
            ["rollback_of"],
            ["flightdeck_deployments.id"],
            name=op.f("fk_flightdeck_deployments_rollback_of_flightdeck_deployments"),
        ),
    )
    op.create_index(
        op.f("ix_flightdeck_deployments_target"),
        "flightdeck_deployments",
        ["application", "environment", "account_id", "region", "started_at"],
    )
    op.create_index(
        op.f("ix_flightdeck_deployments_release"),
        "flightdeck_deployments",
        ["application", "environment", "version", "artifact_digest"],
    )
    op.create_table(
        "flightdeck_promotion_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application", sa.String(length=128), nullable=False),
        sa.Column("environment", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=128), nullable=False),
        sa.Column("artifact_digest", sa.String(length=128), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("overridden_by", sa.String(length=256), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flightdeck_promotion_overrides")),
    )
    op.create_index(
        op.f("ix_flightdeck_promotion_overrides_release"),
        "flightdeck_promotion_overrides",
        ["application", "environment", "version"],
    )


def downgrade() -> None:
    op.drop_table("flightdeck_promotion_overrides")
    op.drop_table("flightdeck_deployments")
