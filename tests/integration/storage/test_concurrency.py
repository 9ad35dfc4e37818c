"""Many threads writing at once, as worker threads and web requests do: on SQLite (WAL, busy
timeout) and PostgreSQL every write lands without a "locked" error, and when all of them race for
one name exactly one wins and every other gets a Conflict on ``name``."""

from __future__ import annotations

import threading
from collections.abc import Callable

from certdesk.errors import Conflict
from certdesk.storage.csrs import CSRRepository
from certdesk.storage.db import Database
from certdesk.storage.secrets import SecretBox
from tests.integration.storage.helpers import new_csr

THREADS = 8


def run_together(work: Callable[[int], None]) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def main(index: int) -> None:
        barrier.wait(timeout=30)
        try:
            work(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=main, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_concurrent_writers_all_land(database: Database, box: SecretBox) -> None:
    def work(index: int) -> None:
        for n in range(15):
            with database.session() as session:
                repo = CSRRepository(session, box)
                record = repo.add(new_csr(f"t{index}-{n}"))
                repo.rename(record.id, f"t{index}-{n}-renamed")

    assert run_together(work) == []
    with database.session() as session:
        repo = CSRRepository(session, box)
        _, total = repo.list(limit=0, offset=0)
        assert total == THREADS * 15
        assert all(name.endswith("-renamed") for name in repo.all_names())


def test_racing_for_one_name_exactly_one_wins(database: Database, box: SecretBox) -> None:
    def work(index: int) -> None:
        with database.session() as session:
            CSRRepository(session, box).add(new_csr("contested", common=f"winner-{index}"))

    errors = run_together(work)
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, Conflict) and e.field == "name" for e in errors), errors
    with database.session() as session:
        assert CSRRepository(session, box).all_names() == ["contested"]
