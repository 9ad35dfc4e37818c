"""The OpenAPI document and the human API docs, behind the same login or token as every other
route (certdesk holds private keys: even its map is not for anonymous callers). The docs page is
Swagger UI 5, whose script, stylesheet and icon certdesk serves itself from the
``fastapi-offline`` package (``/api/docs/assets/<name>``), so the page works on a machine with
no Internet; only the named files are served, and only when they are regular files directly in
the package's asset directory (no listing, no ``..``, no absolute paths, no symlinks). Asset URLs
carry a content hash (``?v=``), so the browser may keep them for a year."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from certdesk.api.deps import Authenticated
from certdesk.api.router import API_PREFIX
from certdesk.errors import NotFound, StorageError

OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
DOCS_PATH = "/api/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"

#: The package that ships the Swagger UI files, and its folder holding them.
ASSETS_PACKAGE = "fastapi_offline"
ASSETS_FOLDER = "static"

SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
FAVICON = "favicon.png"
#: The only files served, with their media types; whatever else the folder holds is not.
ASSET_MEDIA_TYPES: Mapping[str, str] = MappingProxyType(
    {
        SWAGGER_JS: "text/javascript; charset=utf-8",
        SWAGGER_CSS: "text/css; charset=utf-8",
        FAVICON: "image/png",
    }
)
#: A versioned asset never changes; "private": it was served to an authenticated caller.
IMMUTABLE_CACHE = "private, max-age=31536000, immutable"
REVALIDATE_CACHE = "private, no-cache"
#: No online validator badge (it would call validator.swagger.io).
SWAGGER_UI_PARAMETERS: Mapping[str, Any] = MappingProxyType({"validatorUrl": None})

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Asset:
    """One servable file: where it is, its media type and a hash of its content."""

    path: Path
    media_type: str
    version: str


def find_assets(directory: Path, media_types: Mapping[str, str]) -> dict[str, Asset]:
    """The files named in ``media_types`` that are regular files directly inside
    ``directory``; a name with a path in it, a symlink, a directory or a missing file is left
    out."""
    root = directory.resolve(strict=True)
    found: dict[str, Asset] = {}
    for name, media_type in media_types.items():
        if name in {"", ".", ".."} or Path(name).name != name or "\\" in name:
            continue
        path = root / name
        try:
            mode = path.lstat().st_mode
        except OSError:
            continue
        if not stat.S_ISREG(mode) or path.resolve().parent != root:
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        found[name] = Asset(path=path, media_type=media_type, version=digest)
    return found


@cache
def swagger_assets() -> Mapping[str, Asset]:
    """The Swagger UI files of the installed ``fastapi-offline`` (looked up once)."""
    directory = Path(str(files(ASSETS_PACKAGE).joinpath(ASSETS_FOLDER)))
    return MappingProxyType(find_assets(directory, ASSET_MEDIA_TYPES))


def asset_url(name: str) -> str:
    """The versioned URL of asset ``name``."""
    asset = swagger_assets().get(name)
    if asset is None:
        raise StorageError(
            f"The Swagger UI file {name!r} is missing from the fastapi-offline package: "
            "reinstall it (pip install --force-reinstall fastapi-offline)."
        )
    return f"{ASSETS_PATH}/{name}?v={asset.version}"


@router.get(OPENAPI_PATH)
async def openapi_document(request: Request, _principal: Authenticated) -> dict[str, Any]:
    """The OpenAPI 3 document of ``/api/v1``."""
    return request.app.openapi()


@router.get(DOCS_PATH, response_class=HTMLResponse)
async def api_docs(_principal: Authenticated) -> HTMLResponse:
    """Swagger UI over the OpenAPI document (log in through the web UI first)."""
    return get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title="certdesk API",
        swagger_js_url=asset_url(SWAGGER_JS),
        swagger_css_url=asset_url(SWAGGER_CSS),
        swagger_favicon_url=asset_url(FAVICON),
        swagger_ui_parameters=dict(SWAGGER_UI_PARAMETERS),
    )


@router.get(ASSETS_PATH + "/{name}")
async def api_docs_asset(
    name: str, _principal: Authenticated, v: str | None = None
) -> FileResponse:
    """One Swagger UI file; kept for a year when asked for by its current version."""
    asset = swagger_assets().get(name)
    if asset is None:
        raise NotFound("API docs file", name)
    cache_control = IMMUTABLE_CACHE if v == asset.version else REVALIDATE_CACHE
    return FileResponse(
        asset.path,
        media_type=asset.media_type,
        headers={"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"},
    )
