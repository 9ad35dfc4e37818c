"""The Jinja2 environment of the web UI and the one way pages are rendered: every page gets the
signed-in user, the session's CSRF token for its forms, and versioned URLs for the static assets
(so a new release is never served a stale stylesheet). Autoescaping is always on."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from certdesk.services.auth import Principal

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
STATIC_PREFIX = "/static/"


@cache
def _asset_version(name: str) -> str:
    """A short hash of a static file's bytes, appended to its URL as a cache buster."""
    data = (STATIC_DIR / name).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def static_url(name: str) -> str:
    """The URL of a static asset, with its content version."""
    return f"{STATIC_PREFIX}{name}?v={_asset_version(name)}"


@cache
def environment() -> Environment:
    """The template environment (built once; templates are package data)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    env.filters["field_id"] = field_id
    return env


def field_id(name: str) -> str:
    """An HTML id for a form field named with a dotted API path."""
    return "f-" + name.replace(".", "-").replace("_", "-")


def render(
    request: Request,
    template: str,
    context: Mapping[str, object] | None = None,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` as a full page."""
    values: dict[str, object] = {
        "request_path": request.url.path,
        "user": principal.username if principal else None,
        "csrf_token": principal.csrf_token if principal else None,
    }
    values.update(context or {})
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)
