"""Fixtures of the renewal tests: an application context with a frozen clock, on SQLite and on
PostgreSQL (through ``db_url``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from certdesk.clock import FrozenClock
from certdesk.services.context import AppContext
from certdesk.settings import Settings
from tests.fixtures.live_server import live_server  # noqa: F401  (the API tests' fixture)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db_url, propagation_interval=0.05)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def ctx(settings: Settings, clock: FrozenClock) -> Iterator[AppContext]:
    context = AppContext.open(settings, clock=clock)
    try:
        yield context
    finally:
        context.close()
