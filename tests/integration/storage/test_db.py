"""The Database wrapper: SQLite set-up (0700 data directory, 0600 file, WAL, busy timeout,
foreign keys), sessions as transactions, and every way the database can fail turned into a
StorageError that says what to check and never shows a password or a traceback."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from certdesk.errors import StorageError
from certdesk.settings import Settings
from certdesk.storage.csrs import CSRRepository
from certdesk.storage.db import Database
from certdesk.storage.secrets import load_secret_box
from tests.fixtures._process import free_port
from tests.integration.storage.helpers import new_csr


def test_sqlite_data_dir_and_file_modes(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "new" / "data")
    db = Database(settings)
    try:
        db.upgrade()
        assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
        db_file = settings.data_dir / "certdesk.db"
        assert stat.S_IMODE(db_file.stat().st_mode) == 0o600
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        wal = settings.data_dir / "certdesk.db-wal"
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600  # SQLite copies the file's mode
    finally:
        db.dispose()


def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(StorageError, match="breaks one of its rules"), database.session() as s:
        s.execute(
            text(
                "INSERT INTO api_token (name, user_id, token_hash, prefix, created_at) "
                "VALUES ('t', 999, 'h', 'p', CURRENT_TIMESTAMP)"
            )
        )


def test_session_commits_on_success(database: Database, settings: Settings) -> None:
    box = load_secret_box(settings)
    with database.session() as session:
        CSRRepository(session, box).add(new_csr("kept"))
    other = Database(settings)  # a second engine sees the committed row
    try:
        with other.session() as session:
            assert CSRRepository(session, box).all_names() == ["kept"]
    finally:
        other.dispose()


def test_postgresql_down_is_a_storage_error_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://certdesk:hunter2@127.0.0.1:{free_port()}/certdesk"
    db = Database(Settings(data_dir=tmp_path, database_url=url))
    try:
        with pytest.raises(StorageError) as caught:
            db.upgrade()
        with pytest.raises(StorageError), db.session() as session:
            session.execute(text("SELECT 1"))
    finally:
        db.dispose()
    message = caught.value.message
    assert "PostgreSQL" in message
    assert "Check that the server is running" in message
    assert "CERTDESK_DATABASE_URL" in message
    assert "hunter2" not in message
    assert caught.value.__cause__ is None  # no SQLAlchemy chain for a face to print


def test_unknown_database_is_a_storage_error(postgres_url: str, tmp_path: Path) -> None:
    url = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    db = Database(Settings(data_dir=tmp_path, database_url=url))
    try:
        with pytest.raises(StorageError, match="no_such_database"):
            db.upgrade()
    finally:
        db.dispose()


def test_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the data directory should be")
    with pytest.raises(StorageError, match="CERTDESK_DATA_DIR"):
        Database(Settings(data_dir=blocker / "data"))


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "certdesk.db").write_bytes(b"this is not an SQLite database" * 100)
    db = Database(Settings(data_dir=tmp_path))
    try:
        with pytest.raises(StorageError, match="is a certdesk database"):
            db.upgrade()
    finally:
        db.dispose()


def test_bad_url_is_a_storage_error(tmp_path: Path) -> None:
    for url in ("not a url", "nosuchdriver://host/db"):
        with pytest.raises(StorageError, match="CERTDESK_DATABASE_URL"):
            Database(Settings(data_dir=tmp_path, database_url=url))


def test_locked_sqlite_is_a_storage_error_after_the_busy_timeout(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    db = Database(settings)
    db.upgrade()
    box = load_secret_box(settings)
    holder = sqlite3.connect(tmp_path / "certdesk.db", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageError) as caught, db.session() as session:
            CSRRepository(session, box).add(new_csr("blocked"))
        assert "locked" in caught.value.message
        assert "another process" in caught.value.message
        holder.execute("ROLLBACK")
        with db.session() as session:  # usable again once the lock is gone
            CSRRepository(session, box).add(new_csr("after"))
    finally:
        holder.close()
        db.dispose()
