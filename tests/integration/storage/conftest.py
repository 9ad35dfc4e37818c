"""Storage fixtures: an upgraded ``Database`` on SQLite and on PostgreSQL (through ``db_url``),
the settings it was built from and a ``SecretBox`` from the key file in the data directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from certdesk.settings import Settings
from certdesk.storage.db import Database
from certdesk.storage.secrets import SecretBox, load_secret_box


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db_url)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings)
    db.upgrade()
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def box(settings: Settings) -> SecretBox:
    return load_secret_box(settings)
