"""FastAPI dependencies shared by the API and the web UI: the app context, the caller, CSRF.

A caller proves who they are with ``Authorization: Bearer <token>`` or the session cookie set by
``POST /api/v1/auth/login``. Cookie-authenticated unsafe requests (anything but GET, HEAD,
OPTIONS) must also carry the session's CSRF token in the ``X-CSRF-Token`` header or a
``csrf_token`` form field; bearer tokens need none, since a browser never sends them on its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from certdesk.errors import AuthError
from certdesk.services import auth
from certdesk.services.context import Actor, AppContext

SESSION_COOKIE = "certdesk_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API token from `certdesk token create` or `POST /api/v1/tokens`.",
)
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="The session cookie set by `POST /api/v1/auth/login` (unsafe requests also "
    "need the X-CSRF-Token header).",
)


async def get_ctx(request: Request) -> AppContext:
    """The application context the app was built with."""
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def client_address(request: Request) -> str | None:
    """The peer address of the request (the load balancer's, behind one)."""
    return request.client.host if request.client else None


async def csrf_from_request(request: Request) -> str | None:
    """The CSRF token the request carries, from the header or a form field."""
    supplied = request.headers.get(CSRF_HEADER)
    if supplied:
        return supplied
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def _authenticate(
    ctx: AppContext,
    bearer: HTTPAuthorizationCredentials | None,
    session_cookie: str | None,
) -> auth.Principal:
    if bearer is not None:
        return auth.authenticate_token(ctx, bearer.credentials)
    if session_cookie:
        return auth.session_user(ctx, session_cookie)
    raise AuthError(
        "Authentication required: send `Authorization: Bearer <token>` (see `certdesk token "
        "create`) or log in through POST /api/v1/auth/login."
    )


async def require_principal(
    request: Request,
    ctx: Ctx,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    session_cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> auth.Principal:
    """The authenticated caller; 401 without credentials, 403 on a missing CSRF token."""
    if bearer is not None and ctx.db.is_sqlite:
        # On SQLite a token check is one indexed read of a local file, which readers never wait
        # for under WAL: done here it costs less than the hop to a worker thread and back. The
        # write of its last-used time, which could wait for a writer, goes to a worker.
        principal, touch_due = auth.find_token(ctx, bearer.credentials)
        if touch_due:
            await run_in_threadpool(auth.touch_token, ctx, principal)
    else:
        principal = await run_in_threadpool(_authenticate, ctx, bearer, session_cookie)
    if principal.via == "session" and request.method not in SAFE_METHODS:
        auth.check_csrf(principal, await csrf_from_request(request))
    return principal


Authenticated = Annotated[auth.Principal, Depends(require_principal)]


async def get_actor(request: Request, principal: Authenticated) -> Actor:
    """The audit-log actor for the authenticated caller."""
    return Actor(username=principal.username, client=client_address(request))


CurrentActor = Annotated[Actor, Depends(get_actor)]
