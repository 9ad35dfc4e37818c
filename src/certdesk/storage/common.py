"""What the repositories of named objects (CSRs, certificates, DNS authenticators) do the same
way: a row by id or ``NotFound``; a name checked free before a write, with the database's unique
constraint catching the race between two writers, both reported as the same ``Conflict`` on
``name``; and a row turned into its frozen record, field by field of the same name."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from certdesk.errors import Conflict, NotFound

RowT = TypeVar("RowT")
RecordT = TypeVar("RecordT")


def name_conflict(kind: str, name: str) -> Conflict:
    """The ``Conflict`` for a taken name; ``kind`` as the user reads it ("CSR", "certificate")."""
    return Conflict(
        f"A {kind} named {name!r} already exists. Choose another name.", field_name="name"
    )


def name_exists(session: Session, name_column: InstrumentedAttribute[str], name: str) -> bool:
    """Whether a row has ``name`` in ``name_column`` (a core query on the session's connection:
    no ORM objects are loaded)."""
    query = select(name_column).where(name_column == name).limit(1)
    return session.connection().execute(query).first() is not None


def ensure_name_free(
    session: Session, name_column: InstrumentedAttribute[str], kind: str, name: str
) -> None:
    """``Conflict`` on ``name`` when a row has it already."""
    if name_exists(session, name_column, name):
        raise name_conflict(kind, name)


def flush_named(session: Session, kind: str, name: str) -> None:
    """Flush the session; a unique-constraint failure (another writer took the name between the
    check and the write) becomes the same ``Conflict`` as a taken name."""
    try:
        session.flush()
    except IntegrityError:
        raise name_conflict(kind, name) from None


def get_row(session: Session, model: type[RowT], object_id: int, kind: str) -> RowT:
    """The ``model`` row with this primary key, or ``NotFound(kind, object_id)``."""
    row = session.get(model, object_id)
    if row is None:
        raise NotFound(kind, object_id)
    return row


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(record_type: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(record_type)
    if names is None:
        names = _FIELD_NAMES[record_type] = tuple(f.name for f in dataclasses.fields(record_type))
    return names


def record_from_row(record_type: type[RecordT], row: object, **computed: object) -> RecordT:
    """A ``record_type`` dataclass whose fields are ``row``'s attributes of the same names, but
    for those given in ``computed`` (values the row holds in another form)."""
    values: dict[str, Any] = {
        name: getattr(row, name) for name in _field_names(record_type) if name not in computed
    }
    return record_type(**values, **computed)
