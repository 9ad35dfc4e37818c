"""The API's one mapping of the error tree to RFC 9457 ``application/problem+json``.

Every error that leaves ``/api/v1`` has the shape ``{type, title, status, detail, errors:
[{field, message}]}``: ``InvalidInput`` → 422 (400 when the body is not JSON at all),
``NotFound`` → 404, ``Conflict`` → 409, ``AuthError`` → 401, ``Forbidden`` → 403,
``ACMEError``/``DNSError`` → 502 (with the CA's problem document), ``StorageError`` → 503, a body
over the limit → 413, and anything unexpected → 500 without a traceback. FastAPI's own request
validation errors are turned into the same shape with dotted field paths.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from certdesk.errors import (
    ACMEError,
    AuthError,
    CertdeskError,
    Conflict,
    DNSError,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    StorageError,
)

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://certdesk.invalid/problems/"

#: Error classes in the order they are tested (subclasses before their bases).
_STATUS: tuple[tuple[type[CertdeskError], int, str], ...] = (
    (InvalidInput, 422, "Invalid input"),
    (NotFound, 404, "Not found"),
    (Conflict, 409, "Conflict"),
    (Forbidden, 403, "Forbidden"),
    (AuthError, 401, "Authentication required"),
    (ACMEError, 502, "ACME server error"),
    (DNSError, 502, "DNS error"),
    (StorageError, 503, "Storage unavailable"),
)

_HTTP_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request body too large",
    415: "Unsupported media type",
    500: "Internal server error",
}


class FieldProblem(BaseModel):
    """One field error: ``field`` is a dotted path into the request."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document as certdesk sends it."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []
    acme_problem: dict[str, Any] | None = None


def problem_doc(description: str) -> dict[str, Any]:
    """The OpenAPI description of a problem+json response, for ``responses=``."""
    return {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


#: A route's ``responses=``: status code → its OpenAPI description.
ProblemResponses = dict[int | str, dict[str, Any]]


def problem_responses(status: int, description: str) -> ProblemResponses:
    """One problem response a route can give, to merge into its ``responses=`` with ``|``."""
    return {status: problem_doc(description)}


def not_found_responses(kind: str) -> ProblemResponses:
    """The 404 of a route on one object: "No <kind> with this id"."""
    return problem_responses(404, f"No {kind} with this id")


#: The problem responses every API route can give, so the OpenAPI document shows them.
PROBLEM_RESPONSES: ProblemResponses = {
    400: problem_doc("The body is not JSON"),
    401: problem_doc("Authentication required"),
    403: problem_doc("Forbidden: CSRF token missing, or too many failed logins"),
    413: problem_doc("The request body is larger than 1 MiB"),
    422: problem_doc("Invalid input, with every field error"),
}


def problem_response(
    status: int,
    title: str,
    detail: str,
    errors: Iterable[FieldError] = (),
    *,
    slug: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [{"field": e.field, "message": e.message} for e in errors],
    }
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def error_response(exc: CertdeskError) -> JSONResponse:
    """The problem+json response for one error of the tree."""
    # A CertdeskError outside the table (CryptoError) means the input could not be used.
    status, title = next(
        ((s, t) for cls, s, t in _STATUS if isinstance(exc, cls)), (422, "Invalid input")
    )
    errors: Sequence[FieldError] = ()
    extra: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    if isinstance(exc, InvalidInput):
        errors = exc.errors
    elif isinstance(exc, Conflict) and exc.field:
        errors = (FieldError(exc.field, exc.message),)
    elif isinstance(exc, ACMEError) and exc.problem is not None:
        extra = {"acme_problem": exc.problem.as_dict()}
    if isinstance(exc, AuthError) and not isinstance(exc, Forbidden):
        headers = {"WWW-Authenticate": 'Bearer realm="certdesk"'}
    return problem_response(status, title, exc.message, errors, extra=extra, headers=headers)


def field_path(loc: Sequence[str | int]) -> str:
    """A dotted field path from a pydantic location, without the ``body``/``query`` prefix."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts)


def _strip_union_tag(loc: tuple[str | int, ...], body: object) -> tuple[str | int, ...]:
    """Drop the tag pydantic puts into the location of a discriminated union's member.

    ``("body", "CERTIFICATE_CREATE_CSR", "name")`` becomes ``("body", "name")``: a segment right
    after ``body`` that is no key of the body but one of its top-level string values is a tag.
    """
    if len(loc) > 1 and loc[0] == "body" and isinstance(body, dict):
        tag = loc[1]
        if tag not in body and tag in {v for v in body.values() if isinstance(v, str)}:
            return (loc[0], *loc[2:])
    return loc


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    """FastAPI's validation errors as field errors, with messages that name the fix."""
    out: list[FieldError] = []
    for err in exc.errors():
        loc = _strip_union_tag(tuple(err.get("loc", ())), exc.body)
        kind = str(err.get("type", ""))
        ctx = err.get("ctx") or {}
        message = str(err.get("msg", "is not valid"))
        if kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden":
            message = "is not a known field; remove it"
        elif kind == "json_invalid":
            message = "the body is not valid JSON: " + str(ctx.get("error", ""))
        elif kind in {"union_tag_not_found", "union_tag_invalid"}:
            loc = (*loc, str(ctx.get("discriminator", "")).strip("'"))
            expected = ctx.get("expected_tags", "")
            message = f"is required and must be one of {expected}"
        out.append(FieldError(field_path(loc), message))
    return out


async def _on_certdesk_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CertdeskError)
    return error_response(exc)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return problem_response(400, "Bad request", "The request body is not valid JSON.", errors)
    return problem_response(
        422, "Invalid input", f"{len(errors)} field(s) are not valid; see errors.", errors
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = _HTTP_TITLES.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(exc.status_code, title, detail, headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(
        500,
        "Internal server error",
        "certdesk failed unexpectedly; the server log has the details.",
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Register the error-tree mapping on ``app``."""
    app.add_exception_handler(CertdeskError, _on_certdesk_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
