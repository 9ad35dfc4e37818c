"""PostgreSQL only: a trigram GIN index on ``csr.search_text`` (extension ``pg_trgm``), so the
CSR list search (``search_text LIKE '%term%'``, terms of 3 characters or more) reads the index
instead of the whole table. Where the extension cannot be created (the database user may not,
or the server lacks PostgreSQL's contrib modules) the index is skipped with a warning saying how
to add it; searches give the same results without it, only slower. SQLite: nothing (it has its
narrow covering index from 0001). Downgrade drops the index and leaves the extension.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger("certdesk.storage.migrations")

INDEX = "ix_csr_search_text_trgm"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    problem = _create_extension(bind)
    if problem is not None:
        log.warning(
            "CSR search on PostgreSQL will scan the whole csr table: the extension pg_trgm "
            "could not be created (%s). To index it, as a PostgreSQL superuser run "
            '"CREATE EXTENSION pg_trgm;" in database %s, then '
            '"CREATE INDEX %s ON csr USING gin (search_text gin_trgm_ops);".',
            problem,
            bind.engine.url.database,
            INDEX,
        )
        return
    op.create_index(
        INDEX,
        "csr",
        ["search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(f"DROP INDEX IF EXISTS {INDEX}"))


def _create_extension(bind: sa.Connection) -> str | None:
    """Create pg_trgm if it is missing; the server's reason (first line) if that fails. A
    savepoint keeps the failure from aborting the migration's transaction."""
    installed = bind.execute(
        sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    ).first()
    if installed is not None:
        return None
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except DBAPIError as exc:
        return str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
    return None
