"""The CSR repository: stores Certificate Signing Requests with their private keys sealed by a
``SecretBox``, and hands them back as frozen ``CSRRecord``s that never carry key material.

Names are unique; a taken name raises ``Conflict`` (checked first, and the database's unique
constraint catches the race between two writers). Unknown ids and names raise ``NotFound``.
Listing is ordered by id, paginated, and searches case-insensitively for a substring of the name,
the common name or any Subject Alternative Name (kept lower-cased, one per line, in
``search_text``; a term never matches across two of them).
The private key is only ever returned, decrypted, by ``private_key_pem``.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certdesk.clock import Clock, SystemClock
from certdesk.errors import NotFound
from certdesk.storage.common import (
    ensure_name_free,
    flush_named,
    get_row,
    name_conflict,
    record_from_row,
)
from certdesk.storage.models import CSR_SOURCES, CSRRow
from certdesk.storage.secrets import SecretBox

SAN_SEPARATOR = ", "
KIND = "CSR"
_INSERT = insert(CSRRow).returning(CSRRow.id)


@dataclass(frozen=True)
class NewCSR:
    """A CSR to store; ``private_key_pem`` is encrypted before it reaches the database."""

    name: str
    csr_pem: str
    private_key_pem: bytes
    key_type: str
    key_length: int | None
    ec_curve: str | None
    digest_algorithm: str | None
    common: str | None
    sans: tuple[str, ...]
    source: str

    def __post_init__(self) -> None:
        if self.source not in CSR_SOURCES:
            raise ValueError(f"source must be one of {CSR_SOURCES}, not {self.source!r}")

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        return f"NewCSR(name={self.name!r}, key_type={self.key_type!r}, source={self.source!r})"


@dataclass(frozen=True)
class CSRRecord:
    """A stored CSR as the rest of certdesk sees it: everything but the private key."""

    id: int
    name: str
    csr_pem: str
    key_type: str
    key_length: int | None
    ec_curve: str | None
    digest_algorithm: str | None
    common: str | None
    sans: tuple[str, ...]
    source: str
    created_at: datetime
    updated_at: datetime


class CSRRepository:
    """CSRs in one session (one transaction); the caller commits through ``Database.session``."""

    def __init__(self, session: Session, box: SecretBox, clock: Clock | None = None) -> None:
        self.session = session
        self.box = box
        self.clock: Clock = clock or SystemClock()

    def add(self, record: NewCSR) -> CSRRecord:
        """Store a new CSR; ``Conflict`` on ``name`` when the name is taken (the unique index
        decides, in the same round trip as the insert)."""
        now = self.clock.now()
        san_text = SAN_SEPARATOR.join(record.sans)
        values = {
            "name": record.name,
            "csr_pem": record.csr_pem,
            "private_key_enc": self.box.encrypt(record.private_key_pem),
            "key_type": record.key_type,
            "key_length": record.key_length,
            "ec_curve": record.ec_curve,
            "digest_algorithm": record.digest_algorithm,
            "common": record.common,
            "san_text": san_text,
            "search_text": _search_text(record.name, record.common, record.sans),
            "source": record.source,
            "created_at": now,
            "updated_at": now,
        }
        # A core INSERT on the session's connection: one round trip, without the unit of work
        # (no CSRRow object is needed, as the caller gets a CSRRecord).
        try:
            new_id = self.session.connection().execute(_INSERT, values).scalar_one()
        except IntegrityError:
            raise name_conflict(KIND, record.name) from None
        return CSRRecord(
            id=new_id,
            name=record.name,
            csr_pem=record.csr_pem,
            key_type=record.key_type,
            key_length=record.key_length,
            ec_curve=record.ec_curve,
            digest_algorithm=record.digest_algorithm,
            common=record.common,
            sans=_sans(san_text),
            source=record.source,
            created_at=now,
            updated_at=now,
        )

    def get(self, csr_id: int) -> CSRRecord:
        """The CSR with this id, or ``NotFound``."""
        return _record(self._row(csr_id))

    def get_by_name(self, name: str) -> CSRRecord:
        """The CSR with this name, or ``NotFound``."""
        row = self.session.scalars(select(CSRRow).where(CSRRow.name == name)).one_or_none()
        if row is None:
            raise NotFound(KIND, name)
        return _record(row)

    def rename(self, csr_id: int, new_name: str) -> CSRRecord:
        """Give the CSR a new name; ``Conflict`` on ``name`` when another CSR has it."""
        row = self._row(csr_id)
        if row.name == new_name:
            return _record(row)
        self._ensure_name_free(new_name)
        row.name = new_name
        row.search_text = _search_text(new_name, row.common, _sans(row.san_text))
        row.updated_at = self.clock.now()
        flush_named(self.session, KIND, new_name)
        return _record(row)

    def delete(self, csr_id: int) -> None:
        """Remove the CSR (certificates made from it keep their copy of the CSR)."""
        result = self.session.execute(delete(CSRRow).where(CSRRow.id == csr_id))
        if getattr(result, "rowcount", 1) == 0:
            raise NotFound(KIND, csr_id)

    def private_key_pem(self, csr_id: int) -> bytes:
        """The CSR's private key, decrypted, exactly as it was stored."""
        token = self.session.scalars(
            select(CSRRow.private_key_enc).where(CSRRow.id == csr_id)
        ).one_or_none()
        if token is None:
            raise NotFound(KIND, csr_id)
        return self.box.decrypt(token)

    def all_names(self) -> builtins.list[str]:
        """Every CSR name, ordered by id (for reconciling files and for name suggestions)."""
        return builtins.list(self.session.scalars(select(CSRRow.name).order_by(CSRRow.id)))

    def list(
        self, limit: int, offset: int = 0, search: str | None = None
    ) -> tuple[builtins.list[CSRRecord], int]:
        """One page of CSRs ordered by id, and how many match in total.

        ``search`` matches a case-insensitive substring of the name, common name or any SAN;
        ``%`` and ``_`` in it are literal.
        """
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        condition = _search_condition(search)
        ids = select(CSRRow.id).order_by(CSRRow.id)
        count = select(func.count(CSRRow.id))
        if condition is not None:
            ids, count = ids.where(condition), count.where(condition)
        page = builtins.list(self.session.scalars(ids.limit(limit).offset(offset))) if limit else []
        if page and len(page) < limit:
            # A short page is the last one: the total is known without counting. (A search
            # matching few rows scans the table once; one matching many stops at the page and
            # counts in a second, lighter scan. A window count over the page query would
            # materialise every match.)
            total = offset + len(page)
        else:
            total = self.session.scalar(count) or 0
        if not page:
            return [], total
        # Only the rows of the page are read in full.
        rows = self.session.scalars(select(CSRRow).where(CSRRow.id.in_(page)).order_by(CSRRow.id))
        return [_record(row) for row in rows], total

    # -- internals -------------------------------------------------------------------------

    def _row(self, csr_id: int) -> CSRRow:
        return get_row(self.session, CSRRow, csr_id, KIND)

    def _ensure_name_free(self, name: str) -> None:
        ensure_name_free(self.session, CSRRow.name, KIND, name)


def _search_text(name: str, common: str | None, sans: tuple[str, ...]) -> str:
    """What a search looks through, lower-cased here so every engine compares the same way."""
    return "\n".join((name, common or "", *sans)).lower()


def _search_condition(search: str | None) -> ColumnElement[bool] | None:
    term = (search or "").strip().lower()
    if not term:
        return None
    return CSRRow.search_text.contains(term, autoescape=True)


def _sans(san_text: str) -> tuple[str, ...]:
    return tuple(san_text.split(SAN_SEPARATOR)) if san_text else ()


def _record(row: CSRRow) -> CSRRecord:
    return record_from_row(CSRRecord, row, sans=_sans(row.san_text))
