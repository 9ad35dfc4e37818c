"""The audit log: who viewed or downloaded which private key, who logged in, deleted or changed
what, and when. Entries are written in their own transaction and never hold secrets."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from certdesk.services.context import Actor, AppContext
from certdesk.services.paging import check_page
from certdesk.services.schemas import AuditEventOut, AuditPage, DownloadFile
from certdesk.storage.models import AuditEventRow

MAX_PAGE = 500
_INSERT = insert(AuditEventRow)


def record(
    ctx: AppContext,
    actor: Actor,
    action: str,
    *,
    object_kind: str | None = None,
    object_id: int | None = None,
    object_name: str | None = None,
    detail: Mapping[str, object] | None = None,
    session: Session | None = None,
) -> None:
    """Append one event to the audit log: in ``session`` when given (so it commits or rolls back
    with the change it records), else in a transaction of its own."""
    values = {
        "at": ctx.clock.now(),
        "actor": actor.username,
        "action": action,
        "object_kind": object_kind,
        "object_id": object_id,
        "object_name": object_name,
        "detail": dict(detail) if detail else None,
        "client": actor.client,
    }
    # A core INSERT on the session's connection: written at once, in call order, without the
    # ORM's unit of work.
    if session is not None:
        session.connection().execute(_INSERT, values)
        return
    with ctx.db.session() as own:
        own.connection().execute(_INSERT, values)


def key_download(
    ctx: AppContext,
    session: Session,
    actor: Actor,
    *,
    object_kind: str,
    object_id: int,
    name: str,
    key_pem: bytes,
) -> DownloadFile:
    """A private key handed out as ``<name>.key``, recorded in the audit log in ``session`` (so
    no key leaves without its entry)."""
    record(
        ctx,
        actor,
        f"{object_kind}.private_key.download",
        object_kind=object_kind,
        object_id=object_id,
        object_name=name,
        session=session,
    )
    return DownloadFile(
        filename=f"{name}.key", media_type="application/x-pem-file", content=key_pem
    )


def list_events(ctx: AppContext, limit: int = 50, offset: int = 0) -> AuditPage:
    """The newest events first."""
    check_page(limit, offset, MAX_PAGE)
    with ctx.db.session() as session:
        total = session.scalar(select(func.count()).select_from(AuditEventRow)) or 0
        rows = session.scalars(
            select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit).offset(offset)
        ).all()
        items = [
            AuditEventOut(
                id=r.id,
                at=r.at,
                actor=r.actor,
                action=r.action,
                object_kind=r.object_kind,
                object_id=r.object_id,
                object_name=r.object_name,
                detail=r.detail,
                client=r.client,
            )
            for r in rows
        ]
    return AuditPage(items=items, total=total)
