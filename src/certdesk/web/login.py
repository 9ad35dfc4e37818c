"""Logging in and out of the web UI. The session is the API's (``services.auth.login``): the
same HttpOnly, SameSite=Strict cookie, lifetime, rate limit and audit events."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from certdesk.errors import AuthError, Forbidden
from certdesk.services import auth
from certdesk.services.context import AppContext
from certdesk.web.routing import WebRoute
from certdesk.web.session import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Ctx,
    FormPrincipal,
    actor_for,
    check_login_csrf,
    form_field,
    new_login_csrf,
    safe_next,
)
from certdesk.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _login_page(
    request: Request,
    ctx: AppContext,
    *,
    next_path: str,
    username: str = "",
    message: str = "",
    status: int = 200,
) -> Response:
    token = new_login_csrf()
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": next_path, "username": username, "message": message},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=ctx.settings.cookie_secure,
    )
    return response


@router.get("/login")
async def login_page(request: Request, ctx: Ctx, next: str | None = None) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            await run_in_threadpool(auth.session_user, ctx, token)
        except AuthError:
            pass
        else:
            return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, ctx, next_path=safe_next(next))


@router.post("/login")
async def login_submit(request: Request, ctx: Ctx) -> Response:
    next_path = safe_next(await form_field(request, "next"))
    username = (await form_field(request, "username")).strip()
    password = await form_field(request, "password")
    try:
        await check_login_csrf(request)
        client = request.client.host if request.client else None
        session = await run_in_threadpool(auth.login, ctx, username, password, client)
    except AuthError as exc:  # Forbidden (stale form, rate limit) included
        status = 403 if isinstance(exc, Forbidden) else 401
        return _login_page(
            request, ctx, next_path=next_path, username=username, message=exc.message, status=status
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=ctx.settings.cookie_secure,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, ctx: Ctx, principal: FormPrincipal) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(auth.logout, ctx, token, actor_for(request, principal))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=ctx.settings.cookie_secure,
    )
    return response
