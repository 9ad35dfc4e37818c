"""Service fixtures: an opened ``AppContext`` on SQLite and on PostgreSQL (through ``db_url``),
with a short propagation timeout so that a failing check ends quickly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from certdesk.services.context import Actor, AppContext
from certdesk.settings import Settings


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[AppContext]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        propagation_interval=0.05,
        propagation_timeout=3.0,
    )
    opened = AppContext.open(settings)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def actor() -> Actor:
    return Actor(username="tester", client="127.0.0.1")
