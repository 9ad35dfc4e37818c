"""The OpenAPI document and the human API docs, behind the same login or token as every other
route (certdesk holds private keys: even its map is not for anonymous callers). The docs page is
Swagger UI 5, whose script, stylesheet and icon certdesk serves itself from the
``fastapi-offline`` package (``/api/docs/assets/<name>``), so the page works on a machine with
no Internet; only the named files are served, and only when they are regular files directly in
the package's asset directory (no listing, no ``..``, no absolute paths, no symlinks). Asset URLs
carry a content hash (``?v=``), so the browser may keep them for a year.

The page itself is built once per process (``docs_page``) and sent with a strict
Content-Security-Policy: nothing is allowed by default, and Swagger UI's inline start-up script
runs only because the policy names the SHA-256 hash of that exact script, computed from the
generated HTML (``inline_scripts``, ``script_hash``); any other inline script, any other host
and any framing are refused."""

from __future__ import annotations

import base64
import hashlib
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
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

#: The policy of the docs page; ``{script_hashes}`` is filled in from the generated HTML.
#: Everything not named is refused (``default-src 'none'``). What Swagger UI 5 needs, as checked
#: in Chromium with every operation, every schema and the Authorize dialog open and a request
#: tried out (tests/browser/test_api_docs_offline.py fails on any CSP violation):
#: - script-src: its bundle from certdesk, plus the inline start-up script by hash (no
#:   'unsafe-inline', no 'unsafe-eval': its one ``new Function`` is a fallback for browsers
#:   without ``globalThis``);
#: - style-src: its stylesheet only. No 'unsafe-inline': React sets element styles through the
#:   CSSOM, which CSP does not govern; only markdown tables with column alignment would carry a
#:   ``style`` attribute, and certdesk's OpenAPI descriptions have none;
#: - img-src: the favicon, and ``data:`` because the stylesheet draws its icons (arrows, lock,
#:   copy button) as ``data:image/svg+xml`` and ``data:image/png`` URLs;
#: - connect-src: the OpenAPI document and "Try it out" requests, all to certdesk;
#: - no font-src (the stylesheet has no ``@font-face``), no frames, no objects, no workers.
DOCS_CSP_TEMPLATE = (
    "default-src 'none'; script-src 'self' {script_hashes}; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
#: Sent with the docs page besides the policy.
DOCS_HEADERS: Mapping[str, str] = MappingProxyType(
    {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
)

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class DocsPage:
    """The generated Swagger UI page and the Content-Security-Policy that lets it run."""

    html: str
    content_security_policy: str

    def headers(self) -> dict[str, str]:
        """The response headers of the page."""
        return {"Content-Security-Policy": self.content_security_policy, **DOCS_HEADERS}


class _InlineScripts(HTMLParser):
    """Collects the text of each ``<script>`` element without a ``src``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._current = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.scripts.append("".join(self._current))
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)


def inline_scripts(html: str) -> list[str]:
    """The exact text of every inline ``<script>`` of ``html``, in page order."""
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    return parser.scripts


def script_hash(script: str) -> str:
    """The CSP source expression (``'sha256-…'``) that allows inline script ``script``."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


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


@cache
def docs_page() -> DocsPage:
    """The Swagger UI page and its policy, built once: the HTML depends only on the installed
    asset files, and the policy allows exactly the inline scripts of that HTML."""
    response = get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title="certdesk API",
        swagger_js_url=asset_url(SWAGGER_JS),
        swagger_css_url=asset_url(SWAGGER_CSS),
        swagger_favicon_url=asset_url(FAVICON),
        swagger_ui_parameters=dict(SWAGGER_UI_PARAMETERS),
    )
    html = bytes(response.body).decode("utf-8")
    hashes = " ".join(dict.fromkeys(script_hash(script) for script in inline_scripts(html)))
    return DocsPage(
        html=html, content_security_policy=DOCS_CSP_TEMPLATE.format(script_hashes=hashes)
    )


@router.get(OPENAPI_PATH)
async def openapi_document(request: Request, _principal: Authenticated) -> dict[str, Any]:
    """The OpenAPI 3 document of ``/api/v1``."""
    return request.app.openapi()


@router.get(DOCS_PATH, response_class=HTMLResponse)
async def api_docs(_principal: Authenticated) -> HTMLResponse:
    """Swagger UI over the OpenAPI document (log in through the web UI first)."""
    page = docs_page()
    return HTMLResponse(page.html, headers=page.headers())


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
