"""Fixtures of the issuance tests: an application context on a fresh SQLite database (and one on
PostgreSQL where the database matters); Pebble and BIND9 come from tests/fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from certdesk.services.context import AppContext
from certdesk.settings import Settings
from tests.fixtures.live_server import live_server  # noqa: F401  (a fixture)


def test_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url, propagation_interval=0.05)


test_settings.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    """A context on SQLite in ``tmp_path``."""
    opened = AppContext.open(test_settings(tmp_path / "data"))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def db_ctx(db_url: str, tmp_path: Path) -> Iterator[AppContext]:
    """A context on SQLite and on PostgreSQL (parametrised through ``db_url``)."""
    opened = AppContext.open(test_settings(tmp_path / "data", db_url))
    try:
        yield opened
    finally:
        opened.close()
