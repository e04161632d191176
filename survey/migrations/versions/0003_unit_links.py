"""Anonymous waves: open links per unit with a quota.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
        sa.UniqueConstraint("wave_id", "unit", name="uq_unit_link_wave_unit"),
    )
    with op.batch_alter_table("unit_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_link_wave_id"), ["wave_id"])


def downgrade() -> None:
    with op.batch_alter_table("unit_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_link_wave_id"))
    op.drop_table("unit_link")
