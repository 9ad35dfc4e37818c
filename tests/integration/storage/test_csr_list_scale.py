"""The CSR list at 100,000 CSRs on SQLite and PostgreSQL: a search, a deep page and a search
matching everything each give the right rows (their speed is measured in bench/api.py, not
here), the page query reads only ids, and on SQLite it scans the narrow (id, search_text)
index instead of the PEM-heavy table (checked in the query plan)."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, bindparam, event, text

from certdesk.settings import Settings
from certdesk.storage.csrs import CSRRepository
from certdesk.storage.db import Database
from certdesk.storage.models import UTCDateTime
from certdesk.storage.secrets import SecretBox, load_secret_box

ROWS = 100_000
#: SQLite runs inside the test process, so its CPU time is measured (steady on a busy machine);
#: PostgreSQL works in its server, so there the wall-clock time is. Measured: ~0.1-0.3 s CPU on
#: SQLite (1.2 s before the narrow index), ~0.2-0.6 s wall on PostgreSQL.

COLUMNS = (
    "name, csr_pem, private_key_enc, key_type, key_length, digest_algorithm, common, "
    "san_text, search_text, source, created_at, updated_at"
)
SQLITE_FILL = f"""
INSERT INTO csr ({COLUMNS})
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})
SELECT 'csr-' || i, :pem, :token, 'RSA', 2048, 'SHA256', 'host' || i || '.example.com',
       'DNS:host' || i || '.example.com, DNS:alt' || i || '.example.net',
       'csr-' || i || char(10) || 'host' || i || '.example.com' || char(10)
         || 'dns:host' || i || '.example.com' || char(10) || 'dns:alt' || i || '.example.net',
       'created', :now, :now
FROM n
"""
POSTGRES_FILL = f"""
INSERT INTO csr ({COLUMNS})
SELECT 'csr-' || i, :pem, :token, 'RSA', 2048, 'SHA256', 'host' || i || '.example.com',
       'DNS:host' || i || '.example.com, DNS:alt' || i || '.example.net',
       'csr-' || i || chr(10) || 'host' || i || '.example.com' || chr(10)
         || 'dns:host' || i || '.example.com' || chr(10) || 'dns:alt' || i || '.example.net',
       'created', :now, :now
FROM generate_series(1, {ROWS}) AS i
"""


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def scale(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, SecretBox]]:
    """100,000 CSRs of realistic size (a 1 kB CSR PEM, a 2.3 kB sealed key; incompressible),
    made once per engine for this module's tests, which only read them."""
    data_dir = tmp_path_factory.mktemp("scale") / "data"
    dropper: Callable[[], None] | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'certdesk.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        name = server.create_database()
        url = server.url(name)
        dropper = lambda: server.drop_database(name)  # noqa: E731
    settings = Settings(data_dir=data_dir, database_url=url)
    database = Database(settings)
    try:
        database.upgrade()
        box = load_secret_box(settings)
        _fill(database, box)
        yield database, box
    finally:
        database.dispose()
        if dropper is not None:
            dropper()


def _fill(database: Database, box: SecretBox) -> None:
    body = base64.encodebytes(os.urandom(750)).decode()
    pem = f"-----BEGIN CERTIFICATE REQUEST-----\n{body}-----END CERTIFICATE REQUEST-----\n"
    token = box.encrypt(os.urandom(1700))
    fill = SQLITE_FILL if database.is_sqlite else POSTGRES_FILL
    statement = text(fill).bindparams(bindparam("now", type_=UTCDateTime()))
    with database.engine.begin() as connection:
        connection.execute(statement, {"pem": pem, "token": token, "now": datetime.now(UTC)})
    if not database.is_sqlite:
        with database.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            connection.execute(text("VACUUM ANALYZE csr"))


@pytest.fixture
def many(scale: tuple[Database, SecretBox]) -> Database:
    return scale[0]


@pytest.fixture
def box(scale: tuple[Database, SecretBox]) -> SecretBox:
    return scale[1]


@pytest.fixture
def statements(many: Database) -> Iterator[list[tuple[str, object]]]:
    seen: list[tuple[str, object]] = []

    def record(
        conn: Connection,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        seen.append((statement, parameters))

    event.listen(many.engine, "before_cursor_execute", record)
    yield seen
    event.remove(many.engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    ("search", "offset", "expected_total", "expected_first"),
    [
        ("host99999.", 0, 1, "csr-99999"),  # one match, in a SAN and the common name
        ("CSR-77777", 0, 1, "csr-77777"),  # by name, case-insensitive
        (None, ROWS - 50, ROWS, f"csr-{ROWS - 49}"),  # the last page
        ("EXAMPLE.NET", ROWS - 50, ROWS, f"csr-{ROWS - 49}"),  # matches all; the last page
        ("no-such-thing", 0, 0, None),
        ("EXAMPLE.NET", ROWS - 30, ROWS, f"csr-{ROWS - 29}"),  # a short last page
        ("EXAMPLE.NET", ROWS + 10, ROWS, None),  # past the end: counted
        ("host9999", 0, 11, "csr-9999"),  # 9999 and 99990-99999: one short page
    ],
)
def test_list_pages_and_searches_100000_csrs(
    many: Database,
    box: SecretBox,
    search: str | None,
    offset: int,
    expected_total: int,
    expected_first: str | None,
) -> None:
    with many.session() as session:
        repo = CSRRepository(session, box)
        repo.list(limit=50, offset=0, search="warm-up")  # open the connection, fill caches
        items, total = repo.list(limit=50, offset=offset, search=search)
    assert total == expected_total
    assert (items[0].name if items else None) == expected_first
    assert len(items) == max(0, min(50, expected_total - offset))


def test_page_query_reads_only_ids_and_on_sqlite_the_narrow_index(
    many: Database, box: SecretBox, statements: list[tuple[str, object]]
) -> None:
    with many.session() as session:
        items, total = CSRRepository(session, box).list(limit=50, offset=500, search="example")
    assert len(items) == 50 and total == ROWS
    page_queries = [(s, p) for s, p in statements if "LIKE" in s and "LIMIT" in s]
    assert len(page_queries) == 1
    statement, parameters = page_queries[0]
    assert "csr_pem" not in statement and "private_key_enc" not in statement
    if many.is_sqlite:
        with many.engine.connect() as connection:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        details = " | ".join(str(row[-1]) for row in plan)
        assert "COVERING INDEX ix_csr_id_search_text" in details, details
    # A full page needs the matches counted, in a query of its own (no window over the page).
    counts = [s for s, _ in statements if "count(" in s.lower()]
    assert len(counts) == 1 and "OVER" not in counts[0]


def test_a_short_page_is_not_counted_again(
    many: Database, box: SecretBox, statements: list[tuple[str, object]]
) -> None:
    with many.session() as session:
        items, total = CSRRepository(session, box).list(limit=50, search="host77777.")
    assert [item.name for item in items] == ["csr-77777"] and total == 1
    assert not [s for s, _ in statements if "count(" in s.lower()]
