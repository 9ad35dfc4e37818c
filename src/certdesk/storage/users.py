"""Repositories for people and their credentials: users, API tokens and web sessions.

Each function takes an open SQLAlchemy ``Session`` (the caller owns the transaction) and returns
frozen records, never rows. Only hashes of credentials are stored: an argon2 hash of a password,
the SHA-256 of an API token or a session cookie; the plain values never reach this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from certdesk.errors import NotFound
from certdesk.storage.models import APITokenRow, AuditEventRow, UserRow, WebSessionRow


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    password_hash: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TokenRecord:
    id: int
    name: str
    user_id: int
    username: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class SessionRecord:
    id: int
    user_id: int
    username: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime


def _user(row: UserRow) -> UserRecord:
    return UserRecord(row.id, row.username, row.password_hash, row.created_at, row.updated_at)


def _token(row: APITokenRow, username: str) -> TokenRecord:
    return TokenRecord(
        id=row.id,
        name=row.name,
        user_id=row.user_id,
        username=username,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _session(row: WebSessionRow, username: str) -> SessionRecord:
    return SessionRecord(
        row.id, row.user_id, username, row.csrf_token, row.created_at, row.expires_at
    )


# --- users -------------------------------------------------------------------------------------


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(UserRow)) or 0)


def usernames(session: Session, limit: int) -> list[str]:
    """Up to ``limit`` usernames, in the order they were created."""
    return list(session.scalars(select(UserRow.username).order_by(UserRow.id).limit(limit)))


def find_user(session: Session, username: str) -> UserRecord | None:
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    return _user(row) if row is not None else None


def get_user(session: Session, username: str) -> UserRecord:
    user = find_user(session, username)
    if user is None:
        raise NotFound("user", username)
    return user


def save_user(session: Session, username: str, password_hash: str, now: datetime) -> UserRecord:
    """Create the user, or replace the password hash of the existing one."""
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    if row is None:
        row = UserRow(
            username=username, password_hash=password_hash, created_at=now, updated_at=now
        )
        session.add(row)
    else:
        row.password_hash = password_hash
        row.updated_at = now
    session.flush()
    return _user(row)


def set_password_hash(session: Session, user_id: int, password_hash: str, now: datetime) -> None:
    session.execute(
        update(UserRow)
        .where(UserRow.id == user_id)
        .values(password_hash=password_hash, updated_at=now)
    )


# --- API tokens --------------------------------------------------------------------------------


def add_token(
    session: Session, user: UserRecord, name: str, token_hash: str, prefix: str, now: datetime
) -> TokenRecord:
    row = APITokenRow(
        name=name, user_id=user.id, token_hash=token_hash, prefix=prefix, created_at=now
    )
    session.add(row)
    session.flush()
    return _token(row, user.username)


def _token_query():  # type: ignore[no-untyped-def]
    return select(APITokenRow, UserRow.username).join(UserRow, UserRow.id == APITokenRow.user_id)


def list_tokens(session: Session, username: str | None = None) -> list[TokenRecord]:
    query = _token_query().order_by(APITokenRow.id)
    if username is not None:
        query = query.where(UserRow.username == username)
    return [_token(row, name) for row, name in session.execute(query).all()]


def get_token(session: Session, token_id: int) -> TokenRecord:
    found = session.execute(_token_query().where(APITokenRow.id == token_id)).first()
    if found is None:
        raise NotFound("API token", token_id)
    return _token(found[0], found[1])


def find_active_token(session: Session, token_hash: str) -> TokenRecord | None:
    """The token with this hash unless it was revoked."""
    found = session.execute(
        _token_query().where(APITokenRow.token_hash == token_hash, APITokenRow.revoked_at.is_(None))
    ).first()
    return _token(found[0], found[1]) if found is not None else None


def touch_token(session: Session, token_id: int, now: datetime) -> None:
    session.execute(update(APITokenRow).where(APITokenRow.id == token_id).values(last_used_at=now))


def revoke_token(session: Session, token_id: int, now: datetime) -> TokenRecord:
    """Mark the token revoked (once: a second revoke keeps the first time)."""
    session.execute(
        update(APITokenRow)
        .where(APITokenRow.id == token_id, APITokenRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return get_token(session, token_id)


# --- web sessions ------------------------------------------------------------------------------


def add_session(
    session: Session,
    user: UserRecord,
    session_hash: str,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
) -> SessionRecord:
    row = WebSessionRow(
        session_hash=session_hash,
        user_id=user.id,
        csrf_token=csrf_token,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return _session(row, user.username)


def find_live_session(session: Session, session_hash: str, now: datetime) -> SessionRecord | None:
    """The session with this hash unless it has expired."""
    found = session.execute(
        select(WebSessionRow, UserRow.username)
        .join(UserRow, UserRow.id == WebSessionRow.user_id)
        .where(WebSessionRow.session_hash == session_hash, WebSessionRow.expires_at > now)
    ).first()
    return _session(found[0], found[1]) if found is not None else None


def delete_session(session: Session, session_hash: str) -> bool:
    result = session.execute(
        delete(WebSessionRow).where(WebSessionRow.session_hash == session_hash)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def delete_user_sessions(session: Session, user_id: int) -> int:
    """Close every web session of one user (after a password reset)."""
    result = session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_expired_sessions(session: Session, now: datetime) -> int:
    result = session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- login failures (read from the audit log) --------------------------------------------------


def login_failures_since(
    session: Session, action: str, username: str, client: str | None, since: datetime
) -> list[datetime]:
    """When ``username`` failed to log in from ``client`` after ``since``, oldest first."""
    query = select(AuditEventRow.at).where(
        AuditEventRow.action == action,
        AuditEventRow.actor == username,
        AuditEventRow.at > since,
        AuditEventRow.client.is_(None) if client is None else AuditEventRow.client == client,
    )
    return list(session.scalars(query.order_by(AuditEventRow.at)).all())
