"""Migrations: an empty database is upgraded to head on SQLite and PostgreSQL, again without
effect, and the schema it makes is exactly the one the models describe."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime, timedelta, timezone
from multiprocessing.synchronize import Barrier as BarrierType

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from certdesk.settings import Settings
from certdesk.storage.db import Database
from certdesk.storage.models import Base, JobRow, include_object_for

TABLES = {
    "csr",
    "certificate",
    "acme_account",
    "dns_authenticator",
    "job",
    "user",
    "api_token",
    "web_session",
    "audit_event",
    "alert_sent",
    "ari_poll",
}


def test_upgrade_from_empty_creates_every_table(settings: Settings) -> None:
    db = Database(settings)
    try:
        assert db.current_revision() is None
        db.upgrade()
        assert db.current_revision() == db.head_revision() is not None
        names = set(inspect(db.engine).get_table_names())
        assert names >= TABLES
        assert "alembic_version" in names
        db.upgrade()  # every start runs it; a second run changes nothing
        assert db.current_revision() == db.head_revision()
    finally:
        db.dispose()


def test_models_match_the_migration(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": include_object_for(connection.dialect.name),
            },
        )
        assert compare_metadata(context, Base.metadata) == []


def test_timestamps_come_back_aware_in_utc(database: Database) -> None:
    tz = timezone(timedelta(hours=5, minutes=30))
    created = datetime(2026, 3, 1, 17, 45, 12, 123456, tzinfo=tz)
    with database.session() as session:
        session.add(JobRow(kind="test", arguments={}, created_at=created))
    with database.session() as session:
        job = session.scalars(select(JobRow)).one()
        assert job.created_at == created
        assert job.created_at.tzinfo == UTC
        assert job.created_at.hour == 12
        assert job.state == "WAITING"
        assert job.progress_percent == 0


def test_naive_datetime_is_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="naive"), database.session() as session:
        session.add(JobRow(kind="test", arguments={}, created_at=datetime(2026, 1, 1)))


def _start_instance(settings: Settings, barrier: BarrierType) -> None:
    barrier.wait(timeout=60)
    db = Database(settings)
    try:
        db.upgrade()
    finally:
        db.dispose()


def test_instances_starting_together_migrate_once(settings: Settings) -> None:
    """Several certdesk processes upgrading one empty database at the same moment."""
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(4)
    processes = [spawn.Process(target=_start_instance, args=(settings, barrier)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    db = Database(settings)
    try:
        assert db.current_revision() == db.head_revision()
    finally:
        db.dispose()


def test_upgrade_in_threads_of_one_process(settings: Settings) -> None:
    """Alembic's context is process-global; concurrent upgrades in threads must not mix."""
    databases = [Database(settings) for _ in range(3)]
    errors: list[BaseException] = []

    def start(db: Database) -> None:
        try:
            db.upgrade()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(db,)) for db in databases]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert {db.current_revision() for db in databases} == {databases[0].head_revision()}
    finally:
        for db in databases:
            db.dispose()


def test_downgrade_to_nothing_and_back(database: Database) -> None:
    """Every migration can be undone (for an admin rolling back a release) and redone."""
    config = database.alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert database.current_revision() is None
    assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
    database.upgrade()
    assert database.current_revision() == database.head_revision()
