"""The ``/api/v1`` router: every API route, gathered in one place for the app factory."""

from __future__ import annotations

from fastapi import APIRouter

from certdesk.api import auth, authenticators, certificates, csrs, jobs, metrics, misc

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    """A new router with every API route under ``/api/v1``."""
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(misc.router)
    router.include_router(auth.router)
    router.include_router(csrs.router)
    router.include_router(authenticators.router)
    router.include_router(certificates.router)
    router.include_router(jobs.router)
    router.include_router(metrics.router)
    return router
