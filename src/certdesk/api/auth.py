"""Routes for logging in and out and for API tokens (``/auth/*``, ``/tokens``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from starlette.concurrency import run_in_threadpool

from certdesk.api.deps import (
    SESSION_COOKIE,
    Authenticated,
    Ctx,
    CurrentActor,
    client_address,
)
from certdesk.api.jsonbody import StrictJSONRoute
from certdesk.api.problems import PROBLEM_RESPONSES, not_found_responses
from certdesk.api.schemas import MAX_DB_INT, LoginIn, LoginOut, TokenCreate, TokenCreated, TokenOut
from certdesk.services import auth

router = APIRouter(tags=["auth"], responses=PROBLEM_RESPONSES, route_class=StrictJSONRoute)


@router.post("/auth/login", response_model=LoginOut)
def login(data: LoginIn, request: Request, response: Response, ctx: Ctx) -> LoginOut:
    """Open a web session: sets the HttpOnly session cookie and returns the CSRF token."""
    session = auth.login(ctx, data.username, data.password, client_address(request))
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=ctx.settings.cookie_secure,
    )
    return LoginOut(
        username=session.username, csrf_token=session.csrf_token, expires_at=session.expires_at
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    request: Request, principal: Authenticated, actor: CurrentActor, ctx: Ctx
) -> Response:
    """Close the web session of the cookie (a bearer token stays valid; revoke it instead)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if principal.via == "session" and cookie:
        await run_in_threadpool(auth.logout, ctx, cookie, actor)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=ctx.settings.cookie_secure,
    )
    return response


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(principal: Authenticated, ctx: Ctx) -> list[TokenOut]:
    """Every API token, revoked ones included."""
    return [TokenOut.of(t) for t in auth.list_tokens(ctx)]


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(
    data: TokenCreate, principal: Authenticated, actor: CurrentActor, ctx: Ctx
) -> TokenCreated:
    """A new API token for the caller; ``token`` is shown this once."""
    plain, info = auth.create_token(ctx, principal.username, data.name, actor)
    return TokenCreated(**TokenOut.of(info).model_dump(), token=plain)


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=not_found_responses("API token"),
)
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_DB_INT)],
    principal: Authenticated,
    actor: CurrentActor,
    ctx: Ctx,
) -> None:
    """Revoke an API token; it stops working at once."""
    auth.revoke_token(ctx, token_id, actor)
