"""Files handed out for stored CSRs and certificates, one way for both: the public PEM (CSR or
chain) read from the stored record, and the private key read through the repository and handed
out together with its audit-log entry in the same transaction (``audit.key_download``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy.orm import Session

from certdesk.clock import Clock
from certdesk.services import audit
from certdesk.services.context import Actor, AppContext
from certdesk.services.schemas import DownloadFile
from certdesk.storage.secrets import SecretBox


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class KeyStore(Protocol):
    """A repository that holds named objects with a sealed private key (CSRs, certificates)."""

    def get(self, object_id: int, /) -> _Named: ...

    def private_key_pem(self, object_id: int, /) -> bytes: ...


#: How a repository is opened: ``CSRRepository`` and ``CertificateRepository`` fit as they are.
OpenKeyStore = Callable[[Session, SecretBox, Clock], KeyStore]


def pem_file(name: str, extension: str, media_type: str, pem: str) -> DownloadFile:
    """A public PEM text handed out as ``<name>.<extension>``."""
    return DownloadFile(
        filename=f"{name}.{extension}", media_type=media_type, content=pem.encode("ascii")
    )


def private_key_file(
    ctx: AppContext, actor: Actor, object_kind: str, object_id: int, open_store: OpenKeyStore
) -> DownloadFile:
    """The private key of the ``object_kind`` object ``object_id`` as PEM, recorded in the audit
    log in the same transaction that reads it."""
    with ctx.db.session() as session:
        store = open_store(session, ctx.box, ctx.clock)
        return audit.key_download(
            ctx,
            session,
            actor,
            object_kind=object_kind,
            object_id=object_id,
            name=store.get(object_id).name,
            key_pem=store.private_key_pem(object_id),
        )
