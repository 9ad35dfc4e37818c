"""ACME accounts: one per directory, registered on first use (only when the terms of service are
agreed), reused afterwards by logging in with the stored key, which is encrypted at rest.

``open_account`` is what issuance calls; ``client_for_account`` what revocation calls. A CA
bundle given for a directory (private ACME servers: Pebble, step-ca) is kept with its account and
used for every later connection to that directory; TLS verification is never switched off.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from certdesk.acme import AccountKey, ACMEClient
from certdesk.errors import Conflict
from certdesk.services.context import AppContext
from certdesk.storage.accounts import AccountRecord, AccountRepository, NewAccount


@dataclass(frozen=True)
class AccountRequest:
    """What a request says about the account to use for a directory."""

    directory_url: str
    tos: bool
    ca_bundle: str | None = None
    contact_email: str | None = None
    eab_kid: str | None = None
    eab_hmac_key: str | None = None

    def __repr__(self) -> str:  # keep the EAB HMAC key out of logs
        return f"AccountRequest(directory_url={self.directory_url!r}, tos={self.tos})"


def normalise_directory(url: str) -> str:
    """The form a directory URL is stored and looked up in."""
    return url.strip()


def find_account(ctx: AppContext, directory_url: str) -> AccountRecord | None:
    with ctx.db.session() as session:
        return AccountRepository(session, ctx.box, ctx.clock).find(
            normalise_directory(directory_url)
        )


def open_account(ctx: AppContext, request: AccountRequest) -> tuple[ACMEClient, AccountRecord]:
    """A client logged in to the directory's account, registering it first if there is none."""
    directory = normalise_directory(request.directory_url)
    with ctx.db.session() as session:
        repo = AccountRepository(session, ctx.box, ctx.clock)
        record = repo.find(directory)
        key_pem = repo.account_key_pem(record.id) if record is not None else None
        if record is not None and request.ca_bundle and request.ca_bundle != record.ca_bundle:
            record = repo.set_ca_bundle(record.id, request.ca_bundle)
    if record is not None and key_pem is not None:
        return _logged_in(ctx, record, key_pem), record

    client = ACMEClient.connect(directory, ca_bundle=request.ca_bundle, clock=ctx.clock)
    key = AccountKey.generate()
    info = client.register(
        key,
        tos_agreed=request.tos,
        contact_email=request.contact_email or None,
        eab_kid=request.eab_kid or None,
        eab_hmac_key=request.eab_hmac_key or None,
    )
    try:
        with ctx.db.session() as session:
            record = AccountRepository(session, ctx.box, ctx.clock).add(
                NewAccount(
                    directory_url=directory,
                    account_url=info.account_url,
                    account_key_pem=key.pem,
                    contact=info.contact,
                    eab_kid=info.eab_kid,
                    tos_url=info.tos_url,
                    ca_bundle=request.ca_bundle,
                )
            )
    except Conflict:
        # Another job registered the directory's first account at the same time: use that one.
        return open_account(ctx, request)
    return client, record


def client_for_account(ctx: AppContext, account_id: int) -> ACMEClient:
    """A client logged in to a stored account (for revocation)."""
    with ctx.db.session() as session:
        repo = AccountRepository(session, ctx.box, ctx.clock)
        record = repo.get(account_id)
        key_pem = repo.account_key_pem(account_id)
    return _logged_in(ctx, record, key_pem)


#: Per thread (an ACMEClient is not shared between threads), the client of the last account
#: used: a worker issuing one certificate after another keeps its directory, its account and its
#: HTTPS connection instead of fetching and logging in again for every job.
_clients = threading.local()


def _logged_in(ctx: AppContext, record: AccountRecord, key_pem: bytes) -> ACMEClient:
    key = (record.directory_url, record.account_url, record.ca_bundle, key_pem)
    cached: tuple[tuple[object, ...], ACMEClient] | None = getattr(_clients, "last", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    client = ACMEClient.connect(record.directory_url, ca_bundle=record.ca_bundle, clock=ctx.clock)
    client.login(AccountKey(key_pem), record.account_url)
    _clients.last = (key, client)
    return client
