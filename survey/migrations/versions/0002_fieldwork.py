"""Fieldwork: roles per wave, API tokens, contact attempts, rosters, quality and review.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("settings", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("household_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("interviewer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("disposition", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_invitation_household_id"), ["household_id"])
        batch_op.create_index(batch_op.f("ix_invitation_interviewer_id"), ["interviewer_id"])
        batch_op.create_foreign_key(
            "fk_invitation_interviewer_id_app_user", "app_user", ["interviewer_id"], ["id"]
        )
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("interviewer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("device_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("duration_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("answers_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("review", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("review_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_response_interviewer_id_app_user", "app_user", ["interviewer_id"], ["id"]
        )
        batch_op.create_index("ix_response_wave_hash", ["wave_id", "answers_hash"])
        batch_op.create_index("ix_response_wave_device", ["wave_id", "device_id"])
    op.create_table(
        "wave_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wave_id", "user_id", name="uq_wave_member"),
    )
    with op.batch_alter_table("wave_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wave_member_user_id"), ["user_id"])
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"])
    op.create_table(
        "contact_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("interviewer_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["interviewer_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contact_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_attempt_invitation_id"), ["invitation_id"])
    op.create_table(
        "household_roster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("interviewer_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("selected", sa.String(length=64), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("prob3", sa.Float(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["interviewer_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invitation_id"),
    )


def downgrade() -> None:
    op.drop_table("household_roster")
    with op.batch_alter_table("contact_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_attempt_invitation_id"))
    op.drop_table("contact_attempt")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))
    op.drop_table("api_token")
    with op.batch_alter_table("wave_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wave_member_user_id"))
    op.drop_table("wave_member")
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index("ix_response_wave_device")
        batch_op.drop_index("ix_response_wave_hash")
        batch_op.drop_constraint("fk_response_interviewer_id_app_user", type_="foreignkey")
        for name in ("reviewed_at", "reviewed_by", "review_reason", "review", "answers_hash",
                     "duration_seconds", "device_id", "interviewer_id"):  # fmt: skip
            batch_op.drop_column(name)
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invitation_interviewer_id_app_user", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_invitation_interviewer_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_household_id"))
        for name in ("disposition", "interviewer_id", "household_id"):
            batch_op.drop_column(name)
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.drop_column("settings")
