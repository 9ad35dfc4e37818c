"""The web UI's router, included by ``certdesk.app.create_app``: the pages (login, the
Certificates screen, the Add CSR wizard, Edit CSR, downloads, delete, Create ACME
Certificate and job progress) and the static assets they
use (``/static/…``, served from the package; no build step)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from certdesk.web import acme, authenticators, certificates, edit, issued, login, wizard
from certdesk.web.templating import STATIC_DIR

router = APIRouter(include_in_schema=False)
for _pages in (
    login.router,
    certificates.router,
    wizard.router,
    edit.router,
    acme.router,
    authenticators.router,
    issued.router,
):
    router.include_router(_pages)

_MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


@router.get("/static/{name}")
def static_file(name: str, v: str | None = None) -> FileResponse:
    """A static asset; versioned URLs (``?v=<hash>``) may be cached for a year."""
    path = (STATIC_DIR / name).resolve()
    media_type = _MEDIA_TYPES.get(path.suffix)
    if path.parent != STATIC_DIR or media_type is None or not path.is_file():
        raise HTTPException(status_code=404, detail=f"No static file {name!r}.")
    cache = "public, max-age=31536000, immutable" if v else "no-cache"
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
    )
