"""What the renewal scheduler remembers between sweeps, kept in the database so that a restart
(or a second instance on the same PostgreSQL database) does not repeat it.

``AlertLog`` holds which alert (kind, certificate name) was notified when. ``claim`` is how an
instance wins the right to send one: a new alert is an ``INSERT … ON CONFLICT DO NOTHING`` on
the (kind, certificate) key, a reminder a conditional ``UPDATE … WHERE sent_at <= now - repeat``;
whether a row comes back (``RETURNING``) says who won, so of several instances sweeping at once
exactly one sends (on PostgreSQL the loser waits for the winner's commit and then finds the row
taken; SQLite serialises writers). ``ARIPollTimes`` holds, per certificate, the serial last
asked about and when to ask the CA for its renewal information next; ``due`` reads the live
certificates whose turn it is, never-asked (new or renewed: another serial) first, and ``claim``
books them the same way alerts are claimed, so one instance asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from certdesk.storage.models import AlertSentRow, ARIPollRow, CertificateRow

#: An alert's identity: (kind, certificate name).
AlertKey = tuple[str, str]


def _insert(session: Session, table: Any) -> Any:
    """The dialect's INSERT, which knows ``ON CONFLICT`` (PostgreSQL and SQLite alike)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class AlertLog:
    """Which alerts were notified when, in one session (one transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def sent(self) -> dict[AlertKey, datetime]:
        """Every alert on record and when it was last sent."""
        rows = self.session.execute(
            select(AlertSentRow.kind, AlertSentRow.certificate, AlertSentRow.sent_at)
        )
        return {(kind, certificate): sent_at for kind, certificate, sent_at in rows}

    def forget(self, keys: Iterable[AlertKey]) -> None:
        """Drop the records of alerts that ended, so that a recurrence is sent at once."""
        wanted = sorted(set(keys))
        if wanted:
            self.session.execute(
                delete(AlertSentRow).where(
                    tuple_(AlertSentRow.kind, AlertSentRow.certificate).in_(wanted)
                )
            )

    def claim(self, key: AlertKey, now: datetime, repeat_after: timedelta) -> bool:
        """Record ``key`` as sent at ``now`` if it is not on record or was last sent at least
        ``repeat_after`` ago; True when this call won it (the caller then sends it)."""
        kind, certificate = key
        inserted = self.session.execute(
            _insert(self.session, AlertSentRow)
            .values(kind=kind, certificate=certificate, sent_at=now)
            .on_conflict_do_nothing(index_elements=["kind", "certificate"])
            .returning(AlertSentRow.kind)
        ).first()
        if inserted is not None:
            return True
        updated = self.session.execute(
            update(AlertSentRow)
            .where(
                AlertSentRow.kind == kind,
                AlertSentRow.certificate == certificate,
                AlertSentRow.sent_at <= now - repeat_after,
            )
            .values(sent_at=now)
            .returning(AlertSentRow.kind)
        ).first()
        return updated is not None

    def record(self, key: AlertKey, now: datetime) -> None:
        """Record ``key`` as sent at ``now`` whatever was on record."""
        kind, certificate = key
        self.session.execute(
            _insert(self.session, AlertSentRow)
            .values(kind=kind, certificate=certificate, sent_at=now)
            .on_conflict_do_update(index_elements=["kind", "certificate"], set_={"sent_at": now})
        )


@dataclass(frozen=True)
class ARITarget:
    """A live certificate whose renewal information is due, with where to ask; ``next_poll_at``
    is None when it was never asked about under this serial."""

    id: int
    serial: str
    directory: str
    account_id: int | None
    next_poll_at: datetime | None


class ARIPollTimes:
    """When each certificate's renewal information is asked for next, in one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def due(self, now: datetime, limit: int) -> list[ARITarget]:
        """Up to ``limit`` live (unrevoked, unexpired) certificates whose next question is due at
        ``now``: never asked about under their current serial first, then the longest waiting."""
        poll = ARIPollRow
        joined = and_(
            poll.certificate_id == CertificateRow.id, poll.serial == CertificateRow.serial
        )
        rows = self.session.execute(
            select(
                CertificateRow.id,
                CertificateRow.serial,
                CertificateRow.acme_directory,
                CertificateRow.acme_account_id,
                poll.next_poll_at,
            )
            .outerjoin(poll, joined)
            .where(
                CertificateRow.revoked_at.is_(None),
                CertificateRow.not_after > now,
                or_(poll.next_poll_at.is_(None), poll.next_poll_at <= now),
            )
            .order_by(poll.next_poll_at.is_not(None), poll.next_poll_at, CertificateRow.id)
            .limit(limit)
        )
        return [ARITarget(*row) for row in rows]

    def claim(
        self, targets: Iterable[ARITarget], now: datetime, until: datetime
    ) -> list[ARITarget]:
        """The ones of ``targets`` (from ``due``; order kept) this call wins for asking now:
        each is booked until ``until`` by a conditional upsert that only succeeds while the
        certificate is still due (never asked about under its serial, or its time has come), so
        that of several instances polling at once one asks. The caller then stores the real
        next time with ``set``; if the poll dies, the booking runs out."""
        targets = list(targets)
        won: set[int] = set()
        for target in sorted(targets, key=lambda t: t.id):  # one lock order for every instance
            insert = _insert(self.session, ARIPollRow).values(
                certificate_id=target.id, serial=target.serial, next_poll_at=until
            )
            booked = self.session.execute(
                insert.on_conflict_do_update(
                    index_elements=["certificate_id"],
                    set_={"serial": target.serial, "next_poll_at": until},
                    where=or_(
                        ARIPollRow.serial != insert.excluded.serial,
                        ARIPollRow.next_poll_at <= now,
                    ),
                ).returning(ARIPollRow.certificate_id)
            ).first()
            if booked is not None:
                won.add(target.id)
        return [target for target in targets if target.id in won]

    def next_poll(self, certificate_id: int) -> tuple[str, datetime] | None:
        """The serial last asked about and when to ask next, or None if never asked."""
        row = self.session.get(ARIPollRow, certificate_id)
        return None if row is None else (row.serial, row.next_poll_at)

    def set(self, certificate_id: int, serial: str, when: datetime) -> None:
        """Ask about ``certificate_id`` (under ``serial``) next at ``when``."""
        self.session.execute(
            _insert(self.session, ARIPollRow)
            .values(certificate_id=certificate_id, serial=serial, next_poll_at=when)
            .on_conflict_do_update(
                index_elements=["certificate_id"], set_={"serial": serial, "next_poll_at": when}
            )
        )
