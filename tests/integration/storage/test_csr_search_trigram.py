"""The CSR search on PostgreSQL through the trigram index of migration 0004: the search query's
plan uses the index, the same searches give the same rows on SQLite and PostgreSQL (``%``, ``_``,
the escape character and short terms included), the migration goes down and up again, and a
database user who may not create the extension pg_trgm still gets a working (unindexed) schema
and a warning saying how to add the index."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from psycopg import sql
from sqlalchemy import Connection, event, insert, inspect, text
from sqlalchemy.engine import URL, make_url

from certdesk.settings import Settings
from certdesk.storage.csrs import CSRRepository, _search_text
from certdesk.storage.db import Database
from certdesk.storage.models import CSRRow
from certdesk.storage.secrets import load_secret_box
from tests.fixtures.postgres import PostgresServer

INDEX = "ix_csr_search_text_trgm"
FILLER = 20_000

#: Names, common names and SANs with the characters a LIKE pattern treats specially.
ODD: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("percent-50%", "50%.example.com", ()),
    ("under_score", "a_b.example.com", ("DNS:a_b.example.com", "DNS:axb.example.com")),
    ("slash", "path/part.example.com", ("URI:https://x.example.com/a/b",)),
    ("backslash", None, ("email:back\\slash@example.com",)),
    ("caret", "caret^dollar$.example.com", ()),
    ("Mixed-Case", "MiXeD.Example.COM", ("DNS:WWW.Example.COM",)),
    ("unicode", "bücher.example.de", ("DNS:xn--bcher-kva.example.de",)),
    ("ip", None, ("IP:192.0.2.10", "IP:2001:db8::1")),
    ("quotes", "it's.example.org", ()),
]
SEARCHES = [
    "host1234.",  # one of the filler rows
    "HOST1",  # many filler rows, case-insensitive
    "example.net",  # every filler row
    "ab",  # shorter than a trigram
    "a",
    "%",
    "50%",
    "_",
    "a_b",
    "/",
    "/a/",
    "\\",
    "back\\slash",
    "^dollar$",
    "mixed.example",
    "BÜCHER",
    "xn--",
    "2001:db8::",
    "it's",
    "  percent  ",  # stripped
    "no-such-thing",
    "com\nhost",  # across the lines of search_text
]


def _rows() -> list[dict[str, object]]:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    entries = list(ODD) + [
        (
            f"csr-{i}",
            f"host{i}.example.com",
            (f"DNS:host{i}.example.com", f"DNS:alt{i}.example.net"),
        )
        for i in range(1, FILLER + 1)
    ]
    return [
        {
            "name": name,
            "csr_pem": "-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n",
            "private_key_enc": "sealed",
            "key_type": "RSA",
            "key_length": 2048,
            "common": common,
            "san_text": ", ".join(sans),
            "search_text": _search_text(name, common, sans),
            "source": "created",
            "created_at": now,
            "updated_at": now,
        }
        for name, common, sans in entries
    ]


def _filled(url: str, data_dir: Path) -> Database:
    database = Database(Settings(data_dir=data_dir, database_url=url))
    database.upgrade()
    with database.session() as session:
        session.execute(insert(CSRRow), _rows())
    if not database.is_sqlite:
        with database.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            connection.execute(text("VACUUM ANALYZE csr"))
    return database


@pytest.fixture(scope="module")
def both(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, Database]]:
    """The same CSR rows in a SQLite and a PostgreSQL database, made once for this module's
    tests, which only read them."""
    base = tmp_path_factory.mktemp("trigram")
    name = postgres_server.create_database()
    databases: list[Database] = []
    try:
        databases.append(_filled(f"sqlite:///{base / 'certdesk.db'}", base / "sqlite"))
        databases.append(_filled(postgres_server.url(name), base / "postgres"))
        yield databases[0], databases[1]
    finally:
        for database in databases:
            database.dispose()
        postgres_server.drop_database(name)


def _search(database: Database, search: str, limit: int) -> tuple[list[str], int]:
    box = load_secret_box(database.settings)
    with database.session() as session:
        items, total = CSRRepository(session, box).list(limit=limit, search=search)
    return [item.name for item in items], total


@pytest.mark.parametrize("search", SEARCHES)
def test_postgresql_finds_what_sqlite_finds(both: tuple[Database, Database], search: str) -> None:
    sqlite, postgres = both
    for limit in (50, FILLER + len(ODD)):  # a first page, and every match
        expected = _search(sqlite, search, limit)
        assert _search(postgres, search, limit) == expected
    # The searches are not vacuous: most find something, and the special characters are literal.
    if search in ("%", "50%"):
        assert expected[0] == ["percent-50%"]
    if search in ("_", "a_b"):
        assert expected[0] == ["under_score"]


def _statements_of(database: Database, search: str) -> list[tuple[str, Mapping[str, object]]]:
    seen: list[tuple[str, Mapping[str, object]]] = []

    def record(
        conn: Connection,
        cursor: object,
        statement: str,
        parameters: Mapping[str, object],
        context: object,
        executemany: bool,
    ) -> None:
        seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        _search(database, search, 50)
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    return [(s, p) for s, p in seen if "LIKE" in s]


@pytest.mark.parametrize("search", ["host1234.", "alt19999.example", "a_b.ex"])
def test_the_postgresql_search_query_uses_the_trigram_index(
    both: tuple[Database, Database], search: str
) -> None:
    _, postgres = both
    statements = _statements_of(postgres, search)
    assert statements, "no search query was sent"
    assert len(statements) == 1  # the page query (a short page is not counted again)
    for statement, parameters in statements:
        assert "ESCAPE" in statement  # the escaped pattern as certdesk sends it
        with postgres.engine.connect() as connection:
            # At 20,000 rows the planner chooses the index unaided; no enable_seqscan override.
            plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars().all()
        assert any(INDEX in line for line in plan), "\n".join(plan)


def _indexes(database: Database) -> set[str]:
    return {str(index["name"]) for index in inspect(database.engine).get_indexes("csr")}


def _extension_installed(database: Database) -> bool:
    with database.engine.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
        return found.first() is not None


def _migrate(database: Database, revision: str, *, down: bool = False) -> None:
    config = database.alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_migration_0004_down_and_up(settings: Settings) -> None:
    """PostgreSQL: the index comes and goes with 0004 (the extension stays); SQLite: nothing."""
    database = Database(settings)
    try:
        database.upgrade()
        postgres = not database.is_sqlite
        assert (INDEX in _indexes(database)) is postgres
        _migrate(database, "0003", down=True)
        assert database.current_revision() == "0003"
        assert INDEX not in _indexes(database)
        if postgres:
            assert _extension_installed(database)  # downgrade leaves the extension
        _migrate(database, "head")
        assert database.current_revision() == database.head_revision()
        assert (INDEX in _indexes(database)) is postgres
        if not postgres:
            assert "ix_csr_id_search_text" in _indexes(database)  # SQLite keeps its own
    finally:
        database.dispose()


@pytest.fixture
def unprivileged(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh database whose user may create tables in schema public but not
    extensions (no CREATE on the database; pg_trgm is a trusted extension otherwise)."""
    role = f"r_{uuid.uuid4().hex[:12]}"
    password = uuid.uuid4().hex
    name = postgres_server.create_database()
    try:
        with postgres_server.connect() as admin:
            admin.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
        with postgres_server.connect(name) as admin:
            admin.execute(sql.SQL("GRANT ALL ON SCHEMA public TO {}").format(sql.Identifier(role)))
        url = URL.create(
            "postgresql+psycopg",
            username=role,
            password=password,
            host=postgres_server.host,
            port=postgres_server.port,
            database=name,
        ).render_as_string(hide_password=False)
        yield Settings(data_dir=tmp_path / "data", database_url=url)
    finally:
        postgres_server.drop_database(name)
        with postgres_server.connect() as admin:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_without_the_extension_the_upgrade_warns_and_searches_still_work(
    unprivileged: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    database = Database(unprivileged)
    try:
        with caplog.at_level(logging.WARNING, logger="certdesk.storage.migrations"):
            database.upgrade()
        assert database.current_revision() == database.head_revision()
        assert INDEX not in _indexes(database)
        assert not _extension_installed(database)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1, warnings
        assert "CREATE EXTENSION pg_trgm" in warnings[0]
        assert "superuser" in warnings[0] and "gin_trgm_ops" in warnings[0]
        assert "permission denied" in warnings[0]
        password = make_url(str(unprivileged.database_url)).password
        assert password and str(password) not in warnings[0]
        with database.session() as session:
            session.execute(insert(CSRRow), _rows()[:20])
        assert _search(database, "a_b", 50) == (["under_score"], 1)
    finally:
        database.dispose()


def test_an_extension_a_superuser_made_is_used_by_an_unprivileged_user(
    unprivileged: Settings, postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The fix the warning names: a superuser creates pg_trgm; the upgrade then makes the index
    (shown here on a database not yet migrated)."""
    database = Database(unprivileged)
    try:
        with postgres_server.connect(database.engine.url.database) as admin:
            admin.execute("CREATE EXTENSION pg_trgm")
        with caplog.at_level(logging.WARNING, logger="certdesk.storage.migrations"):
            database.upgrade()
        assert INDEX in _indexes(database)
        assert not [r for r in caplog.records if r.levelno == logging.WARNING]
    finally:
        database.dispose()
