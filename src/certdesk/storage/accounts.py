"""The ACME account repository: one account per directory URL, its key sealed by the
``SecretBox``, handed back as frozen ``AccountRecord``s without key material.

The account key is only ever returned, decrypted, by ``account_key_pem``. Two writers registering
the first account of a directory at once meet the unique constraint; the loser gets ``Conflict``
and reads the winner's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certdesk.clock import Clock, SystemClock
from certdesk.errors import Conflict, NotFound
from certdesk.storage.models import ACMEAccountRow
from certdesk.storage.secrets import SecretBox


@dataclass(frozen=True)
class NewAccount:
    """An account to store; ``account_key_pem`` is encrypted before it reaches the database."""

    directory_url: str
    account_url: str
    account_key_pem: bytes
    contact: str | None
    eab_kid: str | None
    tos_url: str | None
    ca_bundle: str | None

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        return f"NewAccount(directory_url={self.directory_url!r})"


@dataclass(frozen=True)
class AccountRecord:
    """A stored ACME account, without its key."""

    id: int
    directory_url: str
    account_url: str
    contact: str | None
    eab_kid: str | None
    tos_url: str | None
    ca_bundle: str | None
    created_at: datetime


class AccountRepository:
    """ACME accounts in one session (one transaction)."""

    def __init__(self, session: Session, box: SecretBox, clock: Clock | None = None) -> None:
        self.session = session
        self.box = box
        self.clock: Clock = clock or SystemClock()

    def find(self, directory_url: str) -> AccountRecord | None:
        """The account of ``directory_url``, if one was registered."""
        row = self.session.scalars(
            select(ACMEAccountRow).where(ACMEAccountRow.directory_url == directory_url)
        ).one_or_none()
        return _record(row) if row is not None else None

    def get(self, account_id: int) -> AccountRecord:
        return _record(self._row(account_id))

    def add(self, account: NewAccount) -> AccountRecord:
        """Store a new account; ``Conflict`` when the directory has one already."""
        row = ACMEAccountRow(
            directory_url=account.directory_url,
            account_url=account.account_url,
            account_key_enc=self.box.encrypt(account.account_key_pem),
            contact=account.contact,
            eab_kid=account.eab_kid,
            tos_url=account.tos_url,
            ca_bundle=account.ca_bundle,
            created_at=self.clock.now(),
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            raise Conflict(
                f"An ACME account for {account.directory_url} exists already.",
                "acme_directory_uri",
            ) from None
        return _record(row)

    def set_ca_bundle(self, account_id: int, ca_bundle: str | None) -> AccountRecord:
        row = self._row(account_id)
        row.ca_bundle = ca_bundle
        self.session.flush()
        return _record(row)

    def account_key_pem(self, account_id: int) -> bytes:
        """The account's private key, decrypted."""
        return self.box.decrypt(self._row(account_id).account_key_enc)

    def _row(self, account_id: int) -> ACMEAccountRow:
        row = self.session.get(ACMEAccountRow, account_id)
        if row is None:
            raise NotFound("ACME account", account_id)
        return row


def _record(row: ACMEAccountRow) -> AccountRecord:
    return AccountRecord(
        id=row.id,
        directory_url=row.directory_url,
        account_url=row.account_url,
        contact=row.contact,
        eab_kid=row.eab_kid,
        tos_url=row.tos_url,
        ca_bundle=row.ca_bundle,
        created_at=row.created_at,
    )
