"""The route class of every web page: it turns the error tree into pages (``errors.py`` maps
each error exactly once per face; this is the web face's mapping) and adds the security headers.

``LoginRequired`` becomes a redirect to the login page; ``NotFound`` a 404 page; ``Forbidden`` a
403 page (a stale form, mostly); any other ``CertdeskError`` a page with its sentence; anything
unexpected a 500 page without a traceback (the server log has it). Forms that can show errors
beside their fields catch ``InvalidInput`` themselves; this is the fallback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from certdesk.errors import (
    ACMEError,
    AuthError,
    CertdeskError,
    Conflict,
    DNSError,
    Forbidden,
    InvalidInput,
    NotFound,
    StorageError,
)
from certdesk.web.session import LoginRequired
from certdesk.web.templating import render

log = logging.getLogger(__name__)

#: Scripts, styles and images come from certdesk itself; nothing may frame the pages.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _status(exc: CertdeskError) -> tuple[int, str]:
    if isinstance(exc, NotFound):
        return 404, "Not found"
    if isinstance(exc, Forbidden):
        return 403, "Not allowed"
    if isinstance(exc, Conflict):
        return 409, "Cannot do that now"
    if isinstance(exc, InvalidInput):
        return 422, "Invalid input"
    if isinstance(exc, ACMEError | DNSError):
        return 502, "The ACME server or DNS failed"
    if isinstance(exc, StorageError):
        return 503, "Storage unavailable"
    return 400, "Cannot do that"


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status": status},
        status_code=status,
    )


def login_redirect(request: Request) -> RedirectResponse:
    """A redirect to the login page that comes back here afterwards (for GET pages)."""
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    location = "/login"
    if request.method == "GET" and target not in {"/", "/certificates"}:
        location += "?next=" + quote(target, safe="/")
    return RedirectResponse(location, status_code=303)


class WebRoute(APIRoute):
    """An ``APIRoute`` whose errors are pages and whose responses carry the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            response = await _guarded(handler, request)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return page_handler


async def _guarded(handler: Callable[[Request], Awaitable[Response]], request: Request) -> Response:
    try:
        return await handler(request)
    except LoginRequired:
        return login_redirect(request)
    except RequestValidationError:
        return _error_page(request, 404, "Not found", "There is no such page in certdesk.")
    except AuthError as exc:
        if not isinstance(exc, Forbidden):
            return login_redirect(request)
        return _error_page(request, 403, "Not allowed", exc.message)
    except CertdeskError as exc:
        status, title = _status(exc)
        return _error_page(request, status, title, exc.message)
    except Exception:
        log.exception("web page %s %s failed", request.method, request.url.path)
        return _error_page(
            request,
            500,
            "Something went wrong",
            "certdesk failed unexpectedly; the server log has the details.",
        )
