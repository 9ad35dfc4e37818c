"""Initial schema: CSRs, certificates, ACME accounts, DNS authenticators, jobs, users, API
tokens, web sessions and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "csr",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("csr_pem", sa.Text(), nullable=False),
        sa.Column("private_key_enc", sa.Text(), nullable=False),
        sa.Column("key_type", sa.String(16), nullable=False),
        sa.Column("key_length", sa.Integer(), nullable=True),
        sa.Column("ec_curve", sa.String(32), nullable=True),
        sa.Column("digest_algorithm", sa.String(16), nullable=True),
        sa.Column("common", sa.String(255), nullable=True),
        sa.Column("san_text", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint("source IN ('created', 'imported')", name=op.f("ck_csr_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csr")),
        sa.UniqueConstraint("name", name=op.f("uq_csr_name")),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(op.f("ix_csr_id_search_text"), "csr", ["id", "search_text"])
    op.create_table(
        "acme_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("directory_url", sa.String(512), nullable=False),
        sa.Column("account_url", sa.String(512), nullable=False),
        sa.Column("account_key_enc", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(512), nullable=True),
        sa.Column("eab_kid", sa.String(255), nullable=True),
        sa.Column("tos_url", sa.String(512), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acme_account")),
        sa.UniqueConstraint("directory_url", name=op.f("uq_acme_account_directory_url")),
    )
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("chain_pem", sa.Text(), nullable=False),
        sa.Column("private_key_enc", sa.Text(), nullable=False),
        sa.Column("csr_pem", sa.Text(), nullable=False),
        sa.Column("csr_id", sa.Integer(), nullable=True),
        sa.Column("acme_directory", sa.String(512), nullable=False),
        sa.Column("order_url", sa.String(512), nullable=True),
        sa.Column("acme_account_id", sa.Integer(), nullable=True),
        sa.Column("domains_authenticators", sa.JSON(), nullable=False),
        sa.Column("renew_days", sa.Integer(), nullable=False, server_default=sa.text("10")),
        _ts("not_before"),
        _ts("not_after"),
        sa.Column("serial", sa.String(128), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        _ts("ari_window_start", nullable=True),
        _ts("ari_window_end", nullable=True),
        _ts("ari_chosen_at", nullable=True),
        _ts("renew_at", nullable=True),
        sa.Column("renew_reason", sa.String(255), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failure_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
        _ts("revoked_at", nullable=True),
        sa.Column("new_key_on_renewal", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("deploy", sa.JSON(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(
            ["csr_id"],
            ["csr.id"],
            name=op.f("fk_certificate_csr_id_csr"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["acme_account_id"],
            ["acme_account.id"],
            name=op.f("fk_certificate_acme_account_id_acme_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("name", name=op.f("uq_certificate_name")),
    )
    op.create_index(op.f("ix_certificate_renew_at"), "certificate", ["renew_at"])
    op.create_index(op.f("ix_certificate_not_after"), "certificate", ["not_after"])
    op.create_table(
        "dns_authenticator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("attributes_enc", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dns_authenticator")),
        sa.UniqueConstraint("name", name=op.f("uq_dns_authenticator_name")),
    )
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="WAITING"),
        sa.Column("progress_percent", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("progress_description", sa.String(512), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        _ts("created_at"),
        _ts("started_at", nullable=True),
        _ts("finished_at", nullable=True),
        sa.Column("claimed_by", sa.String(255), nullable=True),
        _ts("heartbeat_at", nullable=True),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('WAITING', 'RUNNING', 'SUCCESS', 'FAILED', 'ABORTED')",
            name=op.f("ck_job_state"),
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_job_certificate_id_certificate"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    op.create_index(op.f("ix_job_state_created_at"), "job", ["state", "created_at"])
    op.create_index(op.f("ix_job_certificate_id"), "job", ["certificate_id"])
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("username", name=op.f("uq_user_username")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(8), nullable=False),
        _ts("created_at"),
        _ts("last_used_at", nullable=True),
        _ts("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_api_token_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"])
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(128), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_web_session_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_web_session_session_hash")),
    )
    op.create_index(op.f("ix_web_session_user_id"), "web_session", ["user_id"])
    op.create_index(op.f("ix_web_session_expires_at"), "web_session", ["expires_at"])
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        _ts("at"),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_kind", sa.String(64), nullable=True),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("object_name", sa.String(255), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("client", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index(op.f("ix_audit_event_at"), "audit_event", ["at"])
    op.create_index(
        op.f("ix_audit_event_object_kind_object_id"), "audit_event", ["object_kind", "object_id"]
    )


def downgrade() -> None:
    for table in (
        "audit_event",
        "web_session",
        "api_token",
        "user",
        "job",
        "dns_authenticator",
        "certificate",
        "acme_account",
        "csr",
    ):
        op.drop_table(table)
