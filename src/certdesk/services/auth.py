"""Who may use certdesk: users with Argon2 password hashes, API tokens, web sessions and CSRF.

The rules live here so the API, the web UI and the CLI share them. Plain credentials never leave
the function that made them except once, to the person who asked: a new API token is returned
exactly once and stored as its SHA-256; a session cookie likewise. Logins are audited (success and
failure) and rate-limited per username and client address: after
``settings.login_attempts_per_minute`` failures in a minute further attempts are refused with
``Forbidden`` until the oldest failure leaves the window. The failures are counted from the audit
log itself, so several instances on one database share the limit. There is never an open admin:
without a user nothing but health and the login page answers.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from certdesk.errors import AuthError, FieldError, Forbidden, InvalidInput
from certdesk.services import audit
from certdesk.services.context import Actor, AppContext
from certdesk.storage import users as repo

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,149}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_TOKEN_NAME = 120
TOKEN_PREFIX = "cdt_"
SESSION_LIFETIME = timedelta(hours=12)
RATE_WINDOW = timedelta(minutes=1)
#: Only write ``last_used_at`` when the stored value is older than this (saves a write a request).
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)

ACTION_LOGIN = "login"
ACTION_LOGIN_FAILED = "login.failed"
ACTION_LOGIN_REFUSED = "login.refused"
ACTION_LOGOUT = "logout"
ACTION_TOKEN_CREATE = "token.create"
ACTION_TOKEN_REVOKE = "token.revoke"
ACTION_USER_SAVE = "user.save"

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so timing hides usernames."""
    return _hasher.hash("certdesk-no-such-user")


@dataclass(frozen=True)
class UserInfo:
    username: str
    created_at: datetime
    updated_at: datetime
    #: True when this call created the user, False when it reset the password.
    created: bool = False


#: An API token as it may be shown: never the token itself, only its first characters.
TokenInfo = repo.TokenRecord


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``csrf_token`` is set for cookie sessions, which need it."""

    username: str
    via: str  # "token" | "session"
    csrf_token: str | None = None
    token_id: int | None = None


@dataclass(frozen=True)
class LoginSession:
    """A new web session: ``token`` goes into the cookie, ``csrf_token`` into unsafe requests."""

    token: str
    csrf_token: str
    username: str
    expires_at: datetime


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


# --- users -------------------------------------------------------------------------------------


def check_username(username: str, field: str = "username") -> list[FieldError]:
    if not USERNAME_RE.match(username):
        return [
            FieldError(
                field,
                "must be 1 to 150 characters: letters, digits and _ . @ -, "
                "starting with a letter or digit",
            )
        ]
    return []


def add_or_reset_user(
    ctx: AppContext, username: str, password: str, actor: Actor | None = None
) -> UserInfo:
    """Create the user, or set a new password for the existing one (closing its web sessions)."""
    errors = check_username(username)
    if len(password) < MIN_PASSWORD:
        errors.append(FieldError("password", f"must be at least {MIN_PASSWORD} characters long"))
    elif len(password) > MAX_PASSWORD:
        errors.append(FieldError("password", f"must be at most {MAX_PASSWORD} characters long"))
    if errors:
        raise InvalidInput(errors)
    password_hash = _hasher.hash(password)
    with ctx.db.session() as session:
        created = repo.find_user(session, username) is None
        user = repo.save_user(session, username, password_hash, ctx.clock.now())
        if not created:  # a new password ends every open web session of the user
            repo.delete_user_sessions(session, user.id)
    audit.record(
        ctx,
        actor or Actor(username),
        ACTION_USER_SAVE,
        object_kind="user",
        object_id=user.id,
        object_name=username,
    )
    return UserInfo(user.username, user.created_at, user.updated_at, created)


def has_users(ctx: AppContext) -> bool:
    """Whether anyone can log in yet."""
    with ctx.db.session() as session:
        return repo.count_users(session) > 0


def sole_username(ctx: AppContext) -> str:
    """The one user's name, for commands that may leave the user out."""
    with ctx.db.session() as session:
        names = repo.usernames(session, limit=2)
    if not names:
        raise InvalidInput.single(
            "user", "no user exists yet; create one with `certdesk user add NAME --password-stdin`"
        )
    if len(names) > 1:
        raise InvalidInput.single("user", "several users exist; choose one with --user")
    return names[0]


# --- API tokens --------------------------------------------------------------------------------


def create_token(
    ctx: AppContext, username: str, name: str, actor: Actor | None = None
) -> tuple[str, TokenInfo]:
    """A new API token for ``username``: the plain token (show it once) and its description."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_TOKEN_NAME:
        raise InvalidInput.single("name", f"must be 1 to {MAX_TOKEN_NAME} characters long")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with ctx.db.session() as session:
        user = repo.get_user(session, username)
        info = repo.add_token(
            session, user, name, _sha256(plain), plain[len(TOKEN_PREFIX) :][:8], ctx.clock.now()
        )
    audit.record(
        ctx,
        actor or Actor(username),
        ACTION_TOKEN_CREATE,
        object_kind="api_token",
        object_id=info.id,
        object_name=name,
        detail={"user": username},
    )
    return plain, info


def list_tokens(ctx: AppContext, username: str | None = None) -> list[TokenInfo]:
    """Every token (or those of one user), revoked ones included, oldest first."""
    with ctx.db.session() as session:
        return repo.list_tokens(session, username)


def revoke_token(ctx: AppContext, token_id: int, actor: Actor) -> TokenInfo:
    """Revoke a token; it stops working with the next request."""
    with ctx.db.session() as session:
        info = repo.revoke_token(session, token_id, ctx.clock.now())
    audit.record(
        ctx,
        actor,
        ACTION_TOKEN_REVOKE,
        object_kind="api_token",
        object_id=info.id,
        object_name=info.name,
        detail={"user": info.username},
    )
    return info


def authenticate_token(ctx: AppContext, token: str) -> Principal:
    """The caller behind a bearer token, or ``AuthError``."""
    principal, touch_due = find_token(ctx, token)
    if touch_due:
        touch_token(ctx, principal)
    return principal


def find_token(ctx: AppContext, token: str) -> tuple[Principal, bool]:
    """The caller behind a bearer token, or ``AuthError``, and whether its last-used time is due
    to be written (``touch_token``). Only reads the database."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise AuthError("The API token is not valid; create one with `certdesk token create`.")
    with ctx.db.session() as session:
        record = repo.find_active_token(session, _sha256(token))
    if record is None:
        raise AuthError(
            "The API token is not valid or was revoked; create one with `certdesk token create`."
        )
    last_used = record.last_used_at
    touch_due = last_used is None or ctx.clock.now() - last_used >= TOKEN_TOUCH_INTERVAL
    return Principal(username=record.username, via="token", token_id=record.id), touch_due


def touch_token(ctx: AppContext, principal: Principal) -> None:
    """Record now as the last time the principal's token was used."""
    if principal.token_id is None:
        return
    with ctx.db.session() as session:
        repo.touch_token(session, principal.token_id, ctx.clock.now())


# --- web sessions ------------------------------------------------------------------------------


def _check_rate(ctx: AppContext, username: str, client: str | None, now: datetime) -> None:
    limit = ctx.settings.login_attempts_per_minute
    with ctx.db.session() as session:
        failures = repo.login_failures_since(
            session, ACTION_LOGIN_FAILED, username, client, now - RATE_WINDOW
        )
    if len(failures) >= limit:
        retry_at = failures[-limit] + RATE_WINDOW
        seconds = max(1, int((retry_at - now).total_seconds() + 0.999))
        audit.record(
            ctx,
            Actor(username, client),
            ACTION_LOGIN_REFUSED,
            object_kind="user",
            object_name=username,
            detail={"reason": "too many failed attempts"},
        )
        raise Forbidden(
            f"Too many failed logins for this username from this address; try again in "
            f"{seconds} seconds (at {retry_at:%H:%M:%S} UTC)."
        )


def login(ctx: AppContext, username: str, password: str, client: str | None) -> LoginSession:
    """Check the password and open a web session, or raise ``AuthError``/``Forbidden``."""
    now = ctx.clock.now()
    # Usernames are bounded so that a huge value never reaches the database or the audit log.
    username = username[:150]
    _check_rate(ctx, username, client, now)
    actor = Actor(username, client)
    with ctx.db.session() as session:
        user = repo.find_user(session, username)
        ok = _verify(user.password_hash if user else _dummy_hash(), password) and user is not None
        if ok and user is not None and _hasher.check_needs_rehash(user.password_hash):
            repo.set_password_hash(session, user.id, _hasher.hash(password), now)
    if not ok or user is None:
        audit.record(ctx, actor, ACTION_LOGIN_FAILED, object_kind="user", object_name=username)
        raise AuthError("The username or the password is wrong.")
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with ctx.db.session() as session:
        repo.delete_expired_sessions(session, now)
        record = repo.add_session(session, user, _sha256(token), csrf, now, now + SESSION_LIFETIME)
    audit.record(
        ctx, actor, ACTION_LOGIN, object_kind="user", object_id=user.id, object_name=username
    )
    return LoginSession(token, csrf, record.username, record.expires_at)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password.encode("utf-8", "surrogatepass"))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def session_user(ctx: AppContext, session_token: str) -> Principal:
    """The caller behind a session cookie, or ``AuthError`` when it is unknown or expired."""
    if not session_token or len(session_token) > 200:
        raise AuthError("The session is not valid; log in again.")
    with ctx.db.session() as session:
        record = repo.find_live_session(session, _sha256(session_token), ctx.clock.now())
    if record is None:
        raise AuthError("The session has expired or was closed; log in again.")
    return Principal(username=record.username, via="session", csrf_token=record.csrf_token)


def check_csrf(principal: Principal, supplied: str | None) -> None:
    """Refuse an unsafe cookie-authenticated request whose CSRF token does not match."""
    if principal.via != "session":
        return
    expected = principal.csrf_token or ""
    if not supplied or not hmac.compare_digest(
        supplied.encode("utf-8", "surrogatepass"), expected.encode()
    ):
        raise Forbidden(
            "The CSRF token is missing or wrong; send the csrf_token from the login response "
            "in the X-CSRF-Token header (or the csrf_token form field)."
        )


def logout(ctx: AppContext, session_token: str, actor: Actor) -> None:
    """Close a web session (no error if it was already closed)."""
    with ctx.db.session() as session:
        closed = repo.delete_session(session, _sha256(session_token))
    if closed:
        audit.record(ctx, actor, ACTION_LOGOUT, object_kind="user", object_name=actor.username)
