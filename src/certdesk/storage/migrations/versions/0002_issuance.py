"""Issuance: a CA bundle per ACME directory (private ACME servers such as Pebble or step-ca), and
on jobs the DNS records written but not yet removed (crash clean-up) and their sealed secrets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acme_account") as batch:
        batch.add_column(sa.Column("ca_bundle", sa.Text(), nullable=True))
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("dns_records", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("secrets_enc", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_column("secrets_enc")
        batch.drop_column("dns_records")
    with op.batch_alter_table("acme_account") as batch:
        batch.drop_column("ca_bundle")
