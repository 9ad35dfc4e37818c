"""Alembic environment for certdesk: runs the migrations on a connection handed over by
``storage.db.Database.upgrade`` (``config.attributes["connection"]``), or on the URL in the
config's ``sqlalchemy.url`` when Alembic's own command line is used. On PostgreSQL a transaction
advisory lock serialises instances that start at the same time; on SQLite, batch mode lets later
migrations alter tables.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, text

from certdesk.storage.models import Base, include_object_for

#: Any fixed 64-bit number; all certdesk instances take the same lock while migrating.
MIGRATION_LOCK_ID = 0x63657274646B

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    """Run the pending migrations on ``connection`` in one transaction."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object_for(connection.dialect.name),
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


def run() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url, or call certdesk.storage.db.Database.upgrade()")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            run_on(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("certdesk migrations run online only (Database.upgrade())")
run()
