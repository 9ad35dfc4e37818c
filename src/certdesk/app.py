"""The ASGI application factory: ``create_app(settings)`` builds a fresh FastAPI app.

Nothing is created at import time. The app serves the REST API under ``/api/v1`` (OpenAPI at
``/api/v1/openapi.json``, human docs at ``/api/docs``, both behind a login or token like every
route but login and health) and, when the web UI package provides
``certdesk.web.routes.router``, the UI under ``/``. Request bodies over 1 MiB are refused with
413 before any handler runs, and every error leaves as ``application/problem+json``. When no
``AppContext`` is passed in, the app opens one on start-up and closes it on shutdown.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager

from fastapi import APIRouter, FastAPI

from certdesk import __version__
from certdesk.api import docs as api_docs
from certdesk.api.limits import MAX_BODY_BYTES, BodyLimitMiddleware
from certdesk.api.problems import install_problem_handlers
from certdesk.api.router import api_router
from certdesk.services.context import AppContext
from certdesk.services.jobs import running_jobs
from certdesk.services.notify import Notifier
from certdesk.services.scheduler import running_scheduler
from certdesk.settings import Settings


def _web_router() -> APIRouter | None:
    """The web UI's router, once that package has one."""
    try:
        module = importlib.import_module("certdesk.web.routes")
    except ModuleNotFoundError as exc:
        if exc.name in {"certdesk.web.routes"}:
            return None
        raise
    router = getattr(module, "router", None)
    return router if isinstance(router, APIRouter) else None


def create_app(
    settings: Settings, *, ctx: AppContext | None = None, notifier: Notifier | None = None
) -> FastAPI:
    """A new application for ``settings``; uses ``ctx`` if given (the caller then closes it).
    While it runs, the job runner works and, unless ``settings.scheduler`` is false, the renewal
    scheduler sweeps, sending alerts through ``notifier`` (none: the UI banner only)."""

    @contextmanager
    def background(app_ctx: AppContext) -> Iterator[None]:
        with running_jobs(app_ctx), ExitStack() as stack:
            if settings.scheduler:
                if notifier is not None:  # delivery stops after the scheduler, within 5 s
                    stack.enter_context(notifier.running())
                stack.enter_context(running_scheduler(app_ctx, notifier=notifier))
            yield

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if ctx is not None:
            with background(ctx):
                yield
            return
        opened = AppContext.open(settings)
        app.state.ctx = opened
        try:
            with background(opened):
                yield
        finally:
            opened.close()

    app = FastAPI(
        title="certdesk",
        version=__version__,
        description="Certificate Signing Requests and ACME DNS-01 certificates.",
        # Served by certdesk.api.docs behind authentication, not by FastAPI's public defaults.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    if ctx is not None:
        app.state.ctx = ctx
    install_problem_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.include_router(api_router())
    app.include_router(api_docs.router)
    web = _web_router()
    if web is not None:
        app.include_router(web)
    return app
