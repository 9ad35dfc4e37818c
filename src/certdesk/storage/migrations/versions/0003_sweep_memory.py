"""Scheduler memory that survives a restart: which alert was notified when (``alert_sent``,
claimed by one instance before it sends), and when each certificate's ACME renewal information
is asked for next (``ari_poll``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
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
        "alert_sent",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("certificate", sa.String(120), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "certificate", name=op.f("pk_alert_sent")),
    )
    op.create_table(
        "ari_poll",
        sa.Column("certificate_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("serial", sa.String(128), nullable=False),
        sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_ari_poll_certificate_id_certificate"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("certificate_id", name=op.f("pk_ari_poll")),
    )


def downgrade() -> None:
    op.drop_table("ari_poll")
    op.drop_table("alert_sent")
