"""Routes that are neither CSRs nor credentials: health, choices and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from certdesk.api.deps import Authenticated, Ctx
from certdesk.api.jsonbody import StrictJSONRoute
from certdesk.api.problems import PROBLEM_RESPONSES
from certdesk.api.schemas import HealthOut, Offset
from certdesk.services import audit
from certdesk.services.choices import choices as all_choices
from certdesk.services.schemas import AuditPage, ChoicesOut

router = APIRouter(responses=PROBLEM_RESPONSES, route_class=StrictJSONRoute)


@router.get("/health", response_model=HealthOut, tags=["health"])
def health() -> HealthOut:
    """Liveness: answers without credentials."""
    return HealthOut()


@router.get("/choices", response_model=ChoicesOut, tags=["choices"])
def get_choices(principal: Authenticated) -> ChoicesOut:
    """Every option with its verdict (recommended, warning, refused) and why."""
    return all_choices()


@router.get("/audit", response_model=AuditPage, tags=["audit"])
def list_audit(
    principal: Authenticated,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> AuditPage:
    """Who did what, newest first: logins, private key downloads, deletes, token changes."""
    return audit.list_events(ctx, limit, offset)
