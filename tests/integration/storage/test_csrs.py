"""The CSR repository on SQLite and PostgreSQL: add and read back, conflicts on names (also the
race the unique constraint catches), NotFound, search, pagination, rename and delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from certdesk.clock import FrozenClock
from certdesk.errors import Conflict, NotFound
from certdesk.storage.csrs import CSRRecord, CSRRepository
from certdesk.storage.db import Database
from certdesk.storage.secrets import SecretBox
from tests.integration.storage.helpers import make_key_and_csr, new_csr

START = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)


def test_add_and_read_back(database: Database, box: SecretBox) -> None:
    material = make_key_and_csr("www.example.com", ("www.example.com", "example.com"))
    clock = FrozenClock(START)
    with database.session() as session:
        added = CSRRepository(session, box, clock).add(
            new_csr(
                "web",
                common="www.example.com",
                sans=("DNS:www.example.com", "DNS:example.com"),
                material=material,
            )
        )
    assert isinstance(added, CSRRecord)
    assert added.id > 0
    assert not hasattr(added, "private_key_pem")
    assert "PRIVATE" not in repr(added)
    with database.session() as session:
        repo = CSRRepository(session, box)
        by_id = repo.get(added.id)
        by_name = repo.get_by_name("web")
        key = repo.private_key_pem(added.id)
    assert by_id == by_name == added
    assert by_id.csr_pem == material.csr_pem
    assert by_id.sans == ("DNS:www.example.com", "DNS:example.com")
    assert by_id.common == "www.example.com"
    assert (by_id.key_type, by_id.key_length, by_id.digest_algorithm) == ("RSA", 2048, "SHA256")
    assert by_id.source == "created"
    assert by_id.created_at == by_id.updated_at == START
    assert by_id.created_at.tzinfo == UTC
    assert key == material.key_pem


def test_no_sans_round_trip_as_empty(database: Database, box: SecretBox) -> None:
    with database.session() as session:
        record = CSRRepository(session, box).add(new_csr("bare"))
    assert record.sans == ()


def test_duplicate_name_is_a_conflict_on_the_name_field(database: Database, box: SecretBox) -> None:
    with database.session() as session:
        CSRRepository(session, box).add(new_csr("web"))
    with pytest.raises(Conflict) as caught, database.session() as session:
        CSRRepository(session, box).add(new_csr("web"))
    assert caught.value.field == "name"
    assert "A CSR named 'web' already exists." in caught.value.message
    with database.session() as session:
        assert CSRRepository(session, box).all_names() == ["web"]


def test_name_race_caught_by_the_unique_constraint(
    database: Database, box: SecretBox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers both find the name free; the second insert must still become a Conflict."""
    with database.session() as session:
        CSRRepository(session, box).add(new_csr("web"))
    monkeypatch.setattr(CSRRepository, "_ensure_name_free", lambda self, name: None)
    with pytest.raises(Conflict) as caught, database.session() as session:
        CSRRepository(session, box).add(new_csr("web"))
    assert caught.value.field == "name"
    with database.session() as session:
        assert CSRRepository(session, box).all_names() == ["web"]


def test_unknown_ids_and_names_are_not_found(database: Database, box: SecretBox) -> None:
    with database.session() as session:
        repo = CSRRepository(session, box)
        for call in (
            lambda: repo.get(404),
            lambda: repo.get_by_name("nope"),
            lambda: repo.rename(404, "x"),
            lambda: repo.delete(404),
            lambda: repo.private_key_pem(404),
        ):
            with pytest.raises(NotFound) as caught:
                call()
            assert caught.value.kind == "CSR"


def test_rename(database: Database, box: SecretBox) -> None:
    clock = FrozenClock(START)
    with database.session() as session:
        repo = CSRRepository(session, box, clock)
        first = repo.add(new_csr("first"))
        repo.add(new_csr("second"))
    clock.advance(timedelta(minutes=5))
    with database.session() as session:
        renamed = CSRRepository(session, box, clock).rename(first.id, "renamed")
    assert renamed.name == "renamed"
    assert renamed.created_at == START
    assert renamed.updated_at == START + timedelta(minutes=5)
    with pytest.raises(Conflict) as caught, database.session() as session:
        CSRRepository(session, box, clock).rename(first.id, "second")
    assert caught.value.field == "name"
    with database.session() as session:
        repo = CSRRepository(session, box, clock)
        assert repo.rename(first.id, "renamed") == renamed  # same name: nothing to do
        assert repo.get_by_name("renamed").id == first.id
        assert repo.all_names() == ["renamed", "second"]
        with pytest.raises(NotFound):
            repo.get_by_name("first")


def test_delete(database: Database, box: SecretBox) -> None:
    with database.session() as session:
        repo = CSRRepository(session, box)
        gone = repo.add(new_csr("gone"))
        kept = repo.add(new_csr("kept"))
    with database.session() as session:
        CSRRepository(session, box).delete(gone.id)
    with database.session() as session:
        repo = CSRRepository(session, box)
        assert repo.all_names() == ["kept"]
        assert repo.get(kept.id).name == "kept"
        with pytest.raises(NotFound):
            repo.get(gone.id)
        # The name is free again.
        assert repo.add(new_csr("gone")).id != gone.id


def test_rollback_on_error_keeps_nothing(database: Database, box: SecretBox) -> None:
    with pytest.raises(RuntimeError), database.session() as session:
        CSRRepository(session, box).add(new_csr("half"))
        raise RuntimeError("something failed after the insert")
    with database.session() as session:
        assert CSRRepository(session, box).all_names() == []


@pytest.fixture
def catalogue(database: Database, box: SecretBox) -> list[CSRRecord]:
    entries = [
        ("web", "www.Example.com", ("DNS:www.example.com", "DNS:example.com")),
        ("mail", "mail.example.org", ("DNS:mail.example.org",)),
        ("api_v2", None, ("DNS:api.internal", "IP:192.0.2.7")),
        ("apiXv2", "x.test", ()),
        ("percent", "100%.test", ()),
    ]
    with database.session() as session:
        repo = CSRRepository(session, box)
        return [repo.add(new_csr(n, common=c, sans=s)) for n, c, s in entries]


def names(result: tuple[list[CSRRecord], int]) -> tuple[list[str], int]:
    return [r.name for r in result[0]], result[1]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        (None, ["web", "mail", "api_v2", "apiXv2", "percent"]),
        ("", ["web", "mail", "api_v2", "apiXv2", "percent"]),
        ("   ", ["web", "mail", "api_v2", "apiXv2", "percent"]),
        ("WEB", ["web"]),  # name, case-insensitive
        ("EXAMPLE.COM", ["web"]),  # common name and SANs, case-insensitive
        ("example", ["web", "mail"]),
        ("192.0.2", ["api_v2"]),  # an IP SAN
        ("api.internal", ["api_v2"]),
        ("_v2", ["api_v2"]),  # '_' is literal, not "any character"
        ("100%", ["percent"]),  # '%' is literal too
        ("%", ["percent"]),
        ("nothing-matches", []),
    ],
)
def test_search(
    database: Database,
    box: SecretBox,
    catalogue: list[CSRRecord],
    search: str | None,
    expected: list[str],
) -> None:
    with database.session() as session:
        found = names(CSRRepository(session, box).list(limit=50, offset=0, search=search))
    assert found == (expected, len(expected))


def test_pagination(database: Database, box: SecretBox, catalogue: list[CSRRecord]) -> None:
    with database.session() as session:
        repo = CSRRepository(session, box)
        assert names(repo.list(limit=2, offset=0)) == (["web", "mail"], 5)
        assert names(repo.list(limit=2, offset=2)) == (["api_v2", "apiXv2"], 5)
        assert names(repo.list(limit=2, offset=4)) == (["percent"], 5)
        assert names(repo.list(limit=2, offset=10)) == ([], 5)
        assert names(repo.list(limit=0, offset=0)) == ([], 5)
        assert names(repo.list(limit=1, offset=1, search="example")) == (["mail"], 2)
        with pytest.raises(ValueError):
            repo.list(limit=-1, offset=0)
        with pytest.raises(ValueError):
            repo.list(limit=1, offset=-1)
