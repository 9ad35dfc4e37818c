"""The certificate repository: ACME certificates with their chain, their private key sealed by the
``SecretBox``, the CSR copy and where they came from, handed back as frozen ``CertificateRecord``s
without key material.

Names are unique among certificates (the services also keep them apart from CSR names, as both
share the files directory); a taken name raises ``Conflict``. Unknown ids and names raise
``NotFound``. The private key is only ever returned, decrypted, by ``private_key_pem``.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from certdesk.clock import Clock, SystemClock
from certdesk.errors import NotFound
from certdesk.storage.common import (
    ensure_name_free,
    flush_named,
    get_row,
    record_from_row,
)
from certdesk.storage.models import CertificateRow
from certdesk.storage.secrets import SecretBox

KIND = "certificate"


@dataclass(frozen=True)
class IssuedFacts:
    """What one issuance produced: the chain and the leaf's facts."""

    chain_pem: str
    order_url: str | None
    not_before: datetime
    not_after: datetime
    serial: str
    issuer: str


@dataclass(frozen=True)
class NewCertificate:
    """A certificate to store; ``private_key_pem`` is encrypted before it reaches the database."""

    name: str
    private_key_pem: bytes = field(repr=False)
    csr_pem: str
    csr_id: int | None
    acme_directory: str
    acme_account_id: int | None
    domains_authenticators: Mapping[str, int]
    renew_days: int
    issued: IssuedFacts
    renew_at: datetime | None
    renew_reason: str | None


@dataclass(frozen=True)
class CertificateRecord:
    """A stored certificate as the rest of certdesk sees it: everything but the private key."""

    id: int
    name: str
    chain_pem: str
    csr_pem: str
    csr_id: int | None
    acme_directory: str
    order_url: str | None
    acme_account_id: int | None
    domains_authenticators: dict[str, int]
    renew_days: int
    not_before: datetime
    not_after: datetime
    serial: str
    issuer: str
    renew_at: datetime | None
    renew_reason: str | None
    last_error: str | None
    failure_count: int
    revoked_at: datetime | None
    created_at: datetime
    updated_at: datetime
    #: Renewals order with a newly generated key and CSR instead of the stored ones.
    new_key_on_renewal: bool = False
    #: The deploy targets as stored (``deployment.stored_targets`` reads them).
    deploy: dict[str, Any] | None = None


class CertificateRepository:
    """Certificates in one session (one transaction)."""

    def __init__(self, session: Session, box: SecretBox, clock: Clock | None = None) -> None:
        self.session = session
        self.box = box
        self.clock: Clock = clock or SystemClock()

    def add(self, new: NewCertificate) -> CertificateRecord:
        """Store a new certificate; ``Conflict`` on ``name`` when the name is taken."""
        ensure_name_free(self.session, CertificateRow.name, KIND, new.name)
        now = self.clock.now()
        issued = new.issued
        row = CertificateRow(
            name=new.name,
            chain_pem=issued.chain_pem,
            private_key_enc=self.box.encrypt(new.private_key_pem),
            csr_pem=new.csr_pem,
            csr_id=new.csr_id,
            acme_directory=new.acme_directory,
            order_url=issued.order_url,
            acme_account_id=new.acme_account_id,
            domains_authenticators=dict(new.domains_authenticators),
            renew_days=new.renew_days,
            not_before=issued.not_before,
            not_after=issued.not_after,
            serial=issued.serial,
            issuer=issued.issuer,
            renew_at=new.renew_at,
            renew_reason=new.renew_reason,
            failure_count=0,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        flush_named(self.session, KIND, new.name)
        return _record(row)

    def get(self, certificate_id: int) -> CertificateRecord:
        return _record(self._row(certificate_id))

    def get_by_name(self, name: str) -> CertificateRecord:
        row = self.session.scalars(
            select(CertificateRow).where(CertificateRow.name == name)
        ).one_or_none()
        if row is None:
            raise NotFound(KIND, name)
        return _record(row)

    def list(self, limit: int, offset: int = 0) -> tuple[builtins.list[CertificateRecord], int]:
        """One page ordered by id, and the total."""
        total = self.session.scalar(select(func.count(CertificateRow.id))) or 0
        rows = self.session.scalars(
            select(CertificateRow).order_by(CertificateRow.id).limit(limit).offset(offset)
        )
        return [_record(r) for r in rows], total

    def rename(self, certificate_id: int, new_name: str) -> CertificateRecord:
        row = self._row(certificate_id)
        if row.name != new_name:
            ensure_name_free(self.session, CertificateRow.name, KIND, new_name)
            row.name = new_name
            row.updated_at = self.clock.now()
            flush_named(self.session, KIND, new_name)
        return _record(row)

    def update(
        self,
        certificate_id: int,
        *,
        renew_days: int | None = None,
        renew_at: datetime | None = None,
        renew_reason: str | None = None,
        new_key_on_renewal: bool | None = None,
    ) -> CertificateRecord:
        row = self._row(certificate_id)
        if renew_days is not None:
            row.renew_days = renew_days
        if new_key_on_renewal is not None:
            row.new_key_on_renewal = new_key_on_renewal
        if renew_at is not None:
            row.renew_at = renew_at
            row.renew_reason = renew_reason
        row.updated_at = self.clock.now()
        self.session.flush()
        return _record(row)

    def record_issued(
        self,
        certificate_id: int,
        issued: IssuedFacts,
        *,
        acme_account_id: int | None,
        renew_at: datetime | None,
        renew_reason: str | None,
        new_key: tuple[bytes, str] | None = None,
    ) -> CertificateRecord:
        """A renewal: the new chain and facts replace the old ones, errors are cleared;
        ``new_key`` (private key PEM, CSR PEM) replaces the stored key and CSR."""
        row = self._row(certificate_id)
        if new_key is not None:
            row.private_key_enc = self.box.encrypt(new_key[0])
            row.csr_pem = new_key[1]
        row.chain_pem = issued.chain_pem
        row.order_url = issued.order_url
        row.not_before = issued.not_before
        row.not_after = issued.not_after
        row.serial = issued.serial
        row.issuer = issued.issuer
        row.acme_account_id = acme_account_id
        row.renew_at = renew_at
        row.renew_reason = renew_reason
        row.last_error = None
        row.failure_count = 0
        row.revoked_at = None
        row.updated_at = self.clock.now()
        self.session.flush()
        return _record(row)

    def set_deploy(
        self, certificate_id: int, targets: Mapping[str, Any] | None
    ) -> CertificateRecord:
        """Store the (validated) deploy targets; None removes them."""
        row = self._row(certificate_id)
        row.deploy = dict(targets) if targets else None
        row.updated_at = self.clock.now()
        self.session.flush()
        return _record(row)

    def record_failure(self, certificate_id: int, message: str) -> CertificateRecord:
        row = self._row(certificate_id)
        row.last_error = message
        row.failure_count = (row.failure_count or 0) + 1
        row.updated_at = self.clock.now()
        self.session.flush()
        return _record(row)

    def delete(self, certificate_id: int) -> None:
        result = self.session.execute(
            delete(CertificateRow).where(CertificateRow.id == certificate_id)
        )
        if getattr(result, "rowcount", 1) == 0:
            raise NotFound(KIND, certificate_id)

    def private_key_pem(self, certificate_id: int) -> bytes:
        """The certificate's private key, decrypted."""
        return self.box.decrypt(self._row(certificate_id).private_key_enc)

    # -- internals -------------------------------------------------------------------------

    def _row(self, certificate_id: int) -> CertificateRow:
        return get_row(self.session, CertificateRow, certificate_id, KIND)


def _record(row: CertificateRow) -> CertificateRecord:
    return record_from_row(
        CertificateRecord,
        row,
        domains_authenticators={str(k): int(v) for k, v in row.domains_authenticators.items()},
        new_key_on_renewal=bool(row.new_key_on_renewal),
        deploy=dict(row.deploy) if row.deploy else None,
    )
