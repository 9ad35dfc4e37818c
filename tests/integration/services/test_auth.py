"""The login, session and token rules of ``services.auth`` with a frozen clock, on SQLite and
PostgreSQL: sessions expire, the login rate limit lifts when its minute has passed, token use is
recorded without a write on every request, and nothing stored is a plain credential."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from certdesk.clock import FrozenClock
from certdesk.errors import AuthError, Forbidden, InvalidInput, NotFound
from certdesk.services import audit, auth
from certdesk.services.context import Actor, AppContext
from certdesk.settings import Settings
from certdesk.storage.models import APITokenRow, UserRow, WebSessionRow

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PASSWORD = "a long enough password"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def frozen(db_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[AppContext]:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=db_url, login_attempts_per_minute=2
    )
    ctx = AppContext.open(settings, clock=clock)
    try:
        auth.add_or_reset_user(ctx, "alice", PASSWORD)
        yield ctx
    finally:
        ctx.close()


def test_sessions_expire_and_close(frozen: AppContext, clock: FrozenClock) -> None:
    session = auth.login(frozen, "alice", PASSWORD, "10.0.0.1")
    assert session.expires_at == START + auth.SESSION_LIFETIME
    principal = auth.session_user(frozen, session.token)
    assert principal.username == "alice" and principal.csrf_token == session.csrf_token
    clock.advance(auth.SESSION_LIFETIME - timedelta(seconds=1))
    assert auth.session_user(frozen, session.token).username == "alice"
    clock.advance(timedelta(seconds=1))
    with pytest.raises(AuthError, match="log in again"):
        auth.session_user(frozen, session.token)

    second = auth.login(frozen, "alice", PASSWORD, "10.0.0.1")
    auth.logout(frozen, second.token, Actor("alice", "10.0.0.1"))
    with pytest.raises(AuthError):
        auth.session_user(frozen, second.token)


def test_csrf_check(frozen: AppContext) -> None:
    session = auth.login(frozen, "alice", PASSWORD, None)
    principal = auth.session_user(frozen, session.token)
    auth.check_csrf(principal, session.csrf_token)
    for wrong in (None, "", "x", session.csrf_token + "x", "\udcff"):
        with pytest.raises(Forbidden, match="CSRF"):
            auth.check_csrf(principal, wrong)
    token, _ = auth.create_token(frozen, "alice", "t")
    auth.check_csrf(auth.authenticate_token(frozen, token), None)  # bearer: no CSRF needed


def test_rate_limit_lifts_after_a_minute(frozen: AppContext, clock: FrozenClock) -> None:
    for _ in range(2):
        with pytest.raises(AuthError) as failed:
            auth.login(frozen, "alice", "wrong password", "10.0.0.1")
        assert not isinstance(failed.value, Forbidden)
        clock.advance(timedelta(seconds=10))
    with pytest.raises(Forbidden, match=r"try again in 40 seconds \(at 12:01:00 UTC\)"):
        auth.login(frozen, "alice", PASSWORD, "10.0.0.1")
    # Another address is not limited by these failures.
    auth.login(frozen, "alice", PASSWORD, "10.0.0.2")
    clock.advance(timedelta(seconds=40))
    assert auth.login(frozen, "alice", PASSWORD, "10.0.0.1").username == "alice"
    actions = [e.action for e in audit.list_events(frozen, 50, 0).items]
    assert actions.count("login.failed") == 2
    assert actions.count("login.refused") == 1
    assert actions.count("login") == 2


def test_tokens_hashed_touched_sparingly_and_revoked(
    frozen: AppContext, clock: FrozenClock
) -> None:
    token, info = auth.create_token(frozen, "alice", "  deploy  ")
    assert info.name == "deploy" and info.last_used_at is None
    auth.authenticate_token(frozen, token)
    clock.advance(timedelta(seconds=30))
    auth.authenticate_token(frozen, token)
    (listed,) = auth.list_tokens(frozen, "alice")
    assert listed.last_used_at == START  # not rewritten within the minute
    clock.advance(timedelta(seconds=31))
    auth.authenticate_token(frozen, token)
    assert auth.list_tokens(frozen)[0].last_used_at == START + timedelta(seconds=61)

    with frozen.db.session() as session:
        stored = session.scalars(select(APITokenRow.token_hash)).all()
        password_hash = session.scalar(select(UserRow.password_hash))
    assert token not in stored and len(stored[0]) == 64
    assert password_hash is not None and password_hash.startswith("$argon2")

    revoked = auth.revoke_token(frozen, info.id, Actor("alice"))
    assert revoked.revoked_at == clock.now()
    with pytest.raises(AuthError, match="revoked"):
        auth.authenticate_token(frozen, token)
    with pytest.raises(NotFound):
        auth.revoke_token(frozen, 987654, Actor("alice"))
    for bad in ("", "cdt_", "Bearer x", "x" * 1000):
        with pytest.raises(AuthError):
            auth.authenticate_token(frozen, bad)


def test_user_rules(frozen: AppContext) -> None:
    with pytest.raises(InvalidInput) as bad:
        auth.add_or_reset_user(frozen, "no spaces", "short")
    assert {e.field for e in bad.value.errors} == {"username", "password"}
    before = auth.login(frozen, "alice", PASSWORD, None)
    reset = auth.add_or_reset_user(frozen, "alice", "another good password")
    assert not reset.created
    with pytest.raises(AuthError):  # the reset closed the session opened with the old password
        auth.session_user(frozen, before.token)
    with pytest.raises(AuthError):
        auth.login(frozen, "alice", PASSWORD, None)
    assert auth.login(frozen, "alice", "another good password", None)
    assert auth.has_users(frozen)
    assert auth.sole_username(frozen) == "alice"
    auth.add_or_reset_user(frozen, "bob", "bob's good password")
    with pytest.raises(InvalidInput, match="--user"):
        auth.sole_username(frozen)
    with frozen.db.session() as session:
        assert all(len(h) == 64 for h in session.scalars(select(WebSessionRow.session_hash)).all())
