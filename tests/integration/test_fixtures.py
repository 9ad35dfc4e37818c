"""Checks that each test server the fixtures start really answers."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from tests.fixtures.postgres import PostgresServer


def test_postgres_answers_select_1(postgres_server: PostgresServer) -> None:
    with postgres_server.connect() as conn:
        row = conn.execute("SELECT 1").fetchone()
    assert row == (1,)


def test_postgres_url_is_a_fresh_empty_database(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            count = conn.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")
            ).scalar_one()
            name = conn.execute(text("SELECT current_database()")).scalar_one()
    finally:
        engine.dispose()
    assert count == 0
    assert name.startswith("t_")
    assert postgres_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")


def test_db_url_works_on_both_backends(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
            conn.execute(text("INSERT INTO probe (id) VALUES (7)"))
            assert conn.execute(text("SELECT id FROM probe")).scalar_one() == 7
    finally:
        engine.dispose()
