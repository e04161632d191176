"""Youth monitoring in schools: sampled classes, classroom sessions and seats, school access
for proctors and principals, and the schools' feedback sheets.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "school_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.String(length=64), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("school_name", sa.String(length=128), nullable=False),
        sa.Column("school_type", sa.String(length=32), nullable=False),
        sa.Column("town", sa.String(length=64), nullable=False),
        sa.Column("stratum", sa.String(length=64), nullable=False),
        sa.Column("class_number", sa.Integer(), nullable=False),
        sa.Column("expected_students", sa.Integer(), nullable=False),
        sa.Column("design", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wave_id", "class_id", name="uq_school_class"),
    )
    with op.batch_alter_table("school_class", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_class_wave_id"), ["wave_id"])
        batch_op.create_index(batch_op.f("ix_school_class_school_id"), ["school_id"])
    op.create_table(
        "class_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("school_class_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["opened_by"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["school_class_id"], ["school_class.id"]),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("class_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_class_session_wave_id"), ["wave_id"])
        batch_op.create_index(batch_op.f("ix_class_session_school_class_id"), ["school_class_id"])
    op.create_table(
        "session_seat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["class_session.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invitation_id"),
        sa.UniqueConstraint("session_id", "seat", name="uq_session_seat"),
    )
    with op.batch_alter_table("session_seat", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_seat_session_id"), ["session_id"])
    op.create_table(
        "school_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wave_id", "user_id", "school_id", name="uq_school_access"),
    )
    with op.batch_alter_table("school_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_access_user_id"), ["user_id"])
    op.create_table(
        "school_sheet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wave_id", "school_id", name="uq_school_sheet"),
    )


def downgrade() -> None:
    op.drop_table("school_sheet")
    with op.batch_alter_table("school_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_access_user_id"))
    op.drop_table("school_access")
    with op.batch_alter_table("session_seat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_seat_session_id"))
    op.drop_table("session_seat")
    with op.batch_alter_table("class_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_class_session_school_class_id"))
        batch_op.drop_index(batch_op.f("ix_class_session_wave_id"))
    op.drop_table("class_session")
    with op.batch_alter_table("school_class", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_class_school_id"))
        batch_op.drop_index(batch_op.f("ix_school_class_wave_id"))
    op.drop_table("school_class")
