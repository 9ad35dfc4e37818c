"""The OpenAPI document and the human API docs, behind the same login or token as every other
route (certdesk holds private keys: even its map is not for anonymous callers)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from certdesk.api.deps import Authenticated
from certdesk.api.router import API_PREFIX

OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
DOCS_PATH = "/api/docs"

router = APIRouter(include_in_schema=False)


@router.get(OPENAPI_PATH)
async def openapi_document(request: Request, _principal: Authenticated) -> dict[str, Any]:
    """The OpenAPI 3 document of ``/api/v1``."""
    return request.app.openapi()


@router.get(DOCS_PATH, response_class=HTMLResponse)
async def api_docs(_principal: Authenticated) -> HTMLResponse:
    """Swagger UI over the OpenAPI document (log in through the web UI first)."""
    return get_swagger_ui_html(openapi_url=OPENAPI_PATH, title="certdesk API")
