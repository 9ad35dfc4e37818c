"""The repositories' shared helpers that need no database: the taken-name ``Conflict`` and the
row-to-record conversion."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from certdesk.errors import Conflict
from certdesk.storage.common import name_conflict, record_from_row


@dataclass(frozen=True)
class _Record:
    id: int
    name: str
    tags: tuple[str, ...]
    flag: bool = False


def test_name_conflict_names_the_kind_and_the_fix() -> None:
    conflict = name_conflict("DNS authenticator", "it's")
    assert isinstance(conflict, Conflict)
    assert conflict.field == "name"
    assert conflict.message == (
        'A DNS authenticator named "it\'s" already exists. Choose another name.'
    )


def test_record_copies_same_named_attributes_and_takes_computed_ones() -> None:
    row = SimpleNamespace(id=7, name="web", tags="a\nb", flag=1, extra="ignored")
    record = record_from_row(_Record, row, tags=("a", "b"), flag=True)
    assert record == _Record(id=7, name="web", tags=("a", "b"), flag=True)


def test_record_reads_defaulted_fields_from_the_row_too() -> None:
    row = SimpleNamespace(id=1, name="x", tags=(), flag=True)
    assert record_from_row(_Record, row).flag is True


def test_a_missing_attribute_is_an_error_not_a_default() -> None:
    with pytest.raises(AttributeError):
        record_from_row(_Record, SimpleNamespace(id=1, name="x", flag=False))
