"""The DNS authenticator repository: configured authenticators with their attributes sealed as
one encrypted JSON document (``SecretBox.encrypt_json``), handed back as frozen
``AuthenticatorRecord``s that never carry the attributes.

Names are unique; a taken name raises ``Conflict`` (checked first, and the database's unique
constraint catches the race between two writers). Unknown ids and names raise ``NotFound``. The
attributes — secrets included, in clear once decrypted — are only ever returned by
``attributes``; the service decides what of them may leave. ``certificates_using`` names the
certificates whose domain → authenticator map points at an authenticator, and
``forget_in_certificates`` takes it out of those maps.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from certdesk.clock import Clock, SystemClock
from certdesk.errors import NotFound, StorageError
from certdesk.storage.common import ensure_name_free, flush_named, get_row, record_from_row
from certdesk.storage.models import CertificateRow, DNSAuthenticatorRow
from certdesk.storage.secrets import JSONValue, SecretBox

KIND = "DNS authenticator"


@dataclass(frozen=True)
class AuthenticatorRecord:
    """A stored authenticator as the rest of certdesk sees it: everything but its attributes."""

    id: int
    name: str
    type: str
    created_at: datetime
    updated_at: datetime


class AuthenticatorRepository:
    """Authenticators in one session (one transaction); the caller commits."""

    def __init__(self, session: Session, box: SecretBox, clock: Clock | None = None) -> None:
        self.session = session
        self.box = box
        self.clock: Clock = clock or SystemClock()

    def add(
        self, name: str, type_: str, attributes: Mapping[str, JSONValue]
    ) -> AuthenticatorRecord:
        """Store a new authenticator; ``Conflict`` on ``name`` when the name is taken."""
        ensure_name_free(self.session, DNSAuthenticatorRow.name, KIND, name)
        now = self.clock.now()
        row = DNSAuthenticatorRow(
            name=name,
            type=type_,
            attributes_enc=self.box.encrypt_json(dict(attributes)),
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        flush_named(self.session, KIND, name)
        return _record(row)

    def get(self, authenticator_id: int) -> AuthenticatorRecord:
        """The authenticator with this id, or ``NotFound``."""
        return _record(self._row(authenticator_id))

    def get_by_name(self, name: str) -> AuthenticatorRecord:
        """The authenticator with this name, or ``NotFound``."""
        row = self.session.scalars(
            select(DNSAuthenticatorRow).where(DNSAuthenticatorRow.name == name)
        ).one_or_none()
        if row is None:
            raise NotFound(KIND, name)
        return _record(row)

    def list(self) -> builtins.list[AuthenticatorRecord]:
        """Every authenticator, ordered by name."""
        rows = self.session.scalars(
            select(DNSAuthenticatorRow).order_by(DNSAuthenticatorRow.name, DNSAuthenticatorRow.id)
        )
        return [_record(row) for row in rows]

    def attributes(self, authenticator_id: int) -> dict[str, JSONValue]:
        """The authenticator's attributes, decrypted (secrets in clear)."""
        value = self.box.decrypt_json(self._row(authenticator_id).attributes_enc)
        if not isinstance(value, dict):
            raise StorageError(
                f"The stored attributes of {KIND} {authenticator_id} are not a JSON object; the "
                "row was changed outside certdesk. Edit the authenticator and enter them again."
            )
        return value

    def update(
        self,
        authenticator_id: int,
        *,
        name: str | None = None,
        attributes: Mapping[str, JSONValue] | None = None,
    ) -> AuthenticatorRecord:
        """Rename and/or replace the attributes; ``Conflict`` on ``name`` when it is taken."""
        row = self._row(authenticator_id)
        if name is not None and name != row.name:
            ensure_name_free(self.session, DNSAuthenticatorRow.name, KIND, name)
            row.name = name
        if attributes is not None:
            row.attributes_enc = self.box.encrypt_json(dict(attributes))
        row.updated_at = self.clock.now()
        flush_named(self.session, KIND, row.name)
        return _record(row)

    def delete(self, authenticator_id: int) -> None:
        """Remove the authenticator (see ``forget_in_certificates`` for the maps that use it)."""
        result = self.session.execute(
            delete(DNSAuthenticatorRow).where(DNSAuthenticatorRow.id == authenticator_id)
        )
        if getattr(result, "rowcount", 1) == 0:
            raise NotFound(KIND, authenticator_id)

    def forget_in_certificates(self, authenticator_id: int) -> builtins.list[str]:
        """Remove this authenticator from every certificate's domain map (before deleting it, so
        that a later authenticator given the same id is never used for those domains); returns
        the names of the certificates changed."""
        changed = []
        rows = self.session.scalars(select(CertificateRow).order_by(CertificateRow.name))
        for row in rows:
            mapping = row.domains_authenticators
            if isinstance(mapping, dict) and _maps_to(mapping, authenticator_id):
                row.domains_authenticators = {
                    domain: value
                    for domain, value in mapping.items()
                    if str(value) != str(authenticator_id)
                }
                changed.append(row.name)
        return changed

    def certificates_using(self, authenticator_id: int) -> builtins.list[str]:
        """Names of the certificates that map a domain to this authenticator, ordered by name."""
        rows = self.session.execute(
            select(CertificateRow.name, CertificateRow.domains_authenticators).order_by(
                CertificateRow.name
            )
        )
        return [
            name
            for name, mapping in rows
            if isinstance(mapping, dict) and _maps_to(mapping, authenticator_id)
        ]

    # -- internals -------------------------------------------------------------------------

    def _row(self, authenticator_id: int) -> DNSAuthenticatorRow:
        return get_row(self.session, DNSAuthenticatorRow, authenticator_id, KIND)


def _maps_to(mapping: Mapping[str, object], authenticator_id: int) -> bool:
    # JSON keeps the ids as numbers, but a hand-edited or older row may hold them as text.
    return any(str(value) == str(authenticator_id) for value in mapping.values())


def _record(row: DNSAuthenticatorRow) -> AuthenticatorRecord:
    return record_from_row(AuthenticatorRecord, row)
