"""Who is looking at a page: the web session of the API's login (the same cookie and the same
service, ``certdesk.services.auth``) and the CSRF rule for forms. Every page depends on
``PagePrincipal``, which sends a visitor without a live session to the login page; every POST
depends on ``FormPrincipal``, which also requires the session's CSRF token in the ``csrf_token``
form field. The login form itself, which has no session yet, uses a double-submit token: a
random value in a short-lived cookie that the form must echo."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from certdesk.errors import AuthError, Forbidden
from certdesk.services import auth
from certdesk.services.context import Actor, AppContext

#: The session cookie set at login; the API reads the same one (``certdesk.api.deps``).
SESSION_COOKIE = "certdesk_session"
#: The double-submit CSRF cookie of the login form.
LOGIN_CSRF_COOKIE = "certdesk_login_csrf"
CSRF_FIELD = "csrf_token"

FORM_EXPIRED = (
    "This form has expired or did not come from certdesk: reload the page and submit it again."
)


class LoginRequired(Exception):
    """No live session: the page answers with a redirect to the login page."""


def get_ctx(request: Request) -> AppContext:
    """The application context the app was built with."""
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


async def page_principal(request: Request, ctx: Ctx) -> auth.Principal:
    """The signed-in user of this page, or ``LoginRequired``."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired
    try:
        return await run_in_threadpool(auth.session_user, ctx, token)
    except AuthError:
        raise LoginRequired from None


PagePrincipal = Annotated[auth.Principal, Depends(page_principal)]


async def form_field(request: Request, name: str) -> str:
    """One text field of the submitted form ('' when absent or a file)."""
    value = (await request.form()).get(name)
    return value if isinstance(value, str) else ""


async def form_principal(request: Request, principal: PagePrincipal) -> auth.Principal:
    """The signed-in user of a form submission whose CSRF token matches the session's."""
    try:
        auth.check_csrf(principal, await form_field(request, CSRF_FIELD))
    except Forbidden:
        raise Forbidden(FORM_EXPIRED) from None
    return principal


FormPrincipal = Annotated[auth.Principal, Depends(form_principal)]


def actor_for(request: Request, principal: auth.Principal) -> Actor:
    """The audit-log actor of a request."""
    return Actor(
        username=principal.username, client=request.client.host if request.client else None
    )


def new_login_csrf() -> str:
    """A fresh token for the login form's double-submit cookie."""
    return secrets.token_urlsafe(24)


async def check_login_csrf(request: Request) -> None:
    """Refuse a login form whose token does not match its cookie."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    supplied = await form_field(request, CSRF_FIELD)
    if not cookie or not hmac.compare_digest(cookie.encode(), supplied.encode()):
        raise Forbidden(FORM_EXPIRED)


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a local path only (never another site)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/certificates"
