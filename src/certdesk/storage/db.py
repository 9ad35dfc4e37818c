"""The database: one engine per ``Database`` built from ``Settings``, sessions as transactions, and
the Alembic migrations run to head on every start.

SQLite (the embedded default) lives in the data directory, which is created 0700 if missing; the
database file is created 0600, and every connection turns on WAL, a 5 s busy timeout, foreign
keys and secure delete (freed content is zeroed). PostgreSQL is used through psycopg 3 when
``CERTDESK_DATABASE_URL`` names one. Whatever the engine reports when it cannot open, is locked or
is down becomes a ``StorageError`` whose message says what to check; callers never see a raw
SQLAlchemy traceback. Errors certdesk raised on purpose inside a session (``NotFound``,
``Conflict``, ...) pass through unchanged after the rollback.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.orm import Session, sessionmaker

from certdesk.errors import CertdeskError, StorageError
from certdesk.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
#: Alembic keeps its migration context in module globals: one upgrade per process at a time.
_ALEMBIC_LOCK = threading.Lock()


class Database:
    """The engine and session factory for one certdesk data store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.sqlalchemy_url
        try:
            parsed = make_url(self.url)
        except ArgumentError:
            raise StorageError(
                "The database URL is not valid; set CERTDESK_DATABASE_URL to "
                "postgresql://user:password@host:port/dbname, or leave it unset for SQLite."
            ) from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._where = self._describe_location()
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            self._prepare_sqlite_file(parsed.database)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 5}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["connect_args"] = {"connect_timeout": 10}
        try:
            self.engine: Engine = create_engine(self.url, **kwargs)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise StorageError(
                f"Cannot use the database URL ({self._where}): {exc}. "
                "Use postgresql://user:password@host:port/dbname, or leave "
                "CERTDESK_DATABASE_URL unset for SQLite."
            ) from None
        if self.is_sqlite:
            event.listen(self.engine, "connect", _configure_sqlite_connection)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    # -- sessions --------------------------------------------------------------------------

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except CertdeskError:
            session.rollback()
            raise
        except SQLAlchemyError as exc:
            _safe_rollback(session)
            if isinstance(exc, StatementError) and not isinstance(exc, DBAPIError):
                # Not the database: a value certdesk could not bind (a bug); keep its cause.
                raise (exc.orig if isinstance(exc.orig, Exception) else exc) from exc
            raise self.storage_error(exc) from None
        except BaseException:
            _safe_rollback(session)
            raise
        finally:
            session.close()

    def upgrade(self) -> None:
        """Create the schema or migrate it to the newest revision (run on every start)."""
        config = self.alembic_config()
        try:
            with _ALEMBIC_LOCK, self._migration_lock(), self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except CertdeskError:
            raise
        except SQLAlchemyError as exc:
            raise self.storage_error(exc) from None

    def current_revision(self) -> str | None:
        """The schema revision the database is at (``None`` before the first upgrade)."""
        try:
            with self.engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        except SQLAlchemyError as exc:
            raise self.storage_error(exc) from None

    def head_revision(self) -> str | None:
        """The newest revision shipped with this version of certdesk."""
        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def checkpoint(self) -> None:
        """On SQLite, move the WAL into the database file and empty it, so that pages replaced
        by the last transactions (e.g. old sealed keys) are gone from both files. No-op on
        PostgreSQL."""
        if not self.is_sqlite:
            return
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except SQLAlchemyError as exc:
            raise self.storage_error(exc) from None

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    # -- errors ----------------------------------------------------------------------------

    def storage_error(self, exc: SQLAlchemyError) -> StorageError:
        """A ``StorageError`` for ``exc`` that says what to check and carries no SQL or data."""
        reason = _first_line(getattr(exc, "orig", None) or exc)
        if isinstance(exc, IntegrityError):
            return StorageError(
                f"The database refused a change that breaks one of its rules ({reason}). "
                "Reload and try again; if it keeps happening, report it."
            )
        if self.is_sqlite:
            if "locked" in reason or "busy" in reason:
                return StorageError(
                    f"The SQLite database {self._where} stayed locked for more than "
                    f"{SQLITE_BUSY_TIMEOUT_MS // 1000} seconds. Check for another process "
                    "holding it (a long-running sqlite3 shell or backup) and try again."
                )
            return StorageError(
                f"Cannot use the SQLite database {self._where}: {reason}. Check that the data "
                "directory exists and is writable by this user, that the disk is not full and "
                "that the file is a certdesk database."
            )
        return StorageError(
            f"Cannot use the PostgreSQL database {self._where}: {reason}. Check that the server "
            "is running and reachable, and that CERTDESK_DATABASE_URL names the right host, "
            "port, database, user and password."
        )

    # -- internals -------------------------------------------------------------------------

    def alembic_config(self) -> Config:
        """An Alembic config for the shipped migrations (pass a connection in ``attributes``)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        return config

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """On a SQLite file, one process migrates at a time (a lock file next to the database);
        PostgreSQL takes an advisory lock inside the migration transaction instead (env.py)."""
        database = make_url(self.url).database
        if not self.is_sqlite or not database or database == ":memory:":
            yield
            return
        lock_path = Path(f"{database}.migrate-lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(
                f"Cannot create {lock_path}: {exc.strerror}. Check that the data directory is "
                "writable by this user."
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _describe_location(self) -> str:
        url = make_url(self.url)
        if self.is_sqlite:
            return f"at {url.database}"
        host = url.host or "localhost"
        port = f":{url.port}" if url.port else ""
        return f"{url.database or ''} on {host}{port}"

    def _prepare_sqlite_file(self, database: str | None) -> None:
        """Create the data directory (0700) and an empty database file (0600) if missing."""
        if not database or database == ":memory:" or database.startswith("file:"):
            return
        path = Path(database)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return
        except OSError as exc:
            raise StorageError(
                f"Cannot create the SQLite database at {path}: {exc.strerror}. Check that the "
                "data directory (--data-dir or CERTDESK_DATA_DIR) is writable by this user."
            ) from None
        os.close(fd)


def _configure_sqlite_connection(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # WAL with synchronous=NORMAL: a commit survives a crash of certdesk; on a power loss the
        # newest transactions may roll back, and the file reconcile on start then removes the
        # files of rows that are gone. It saves an fsync per commit (several ms on most disks).
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted and overwritten content (old sealed keys after a rotation, deleted CSRs) is
        # zeroed instead of lingering in free pages.
        cursor.execute("PRAGMA secure_delete = ON")
    finally:
        cursor.close()


def _safe_rollback(session: Session) -> None:
    # When the connection is gone the rollback fails too; closing the session releases it.
    with suppress(SQLAlchemyError):
        session.rollback()


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
