"""Persistence: SQLAlchemy models and repositories, Alembic migrations, secrets at rest, files."""
