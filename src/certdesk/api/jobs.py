"""The job routes: ``GET /jobs`` (newest first) and ``GET /jobs/{id}`` with state, progress
(percent and a sentence), arguments (secrets redacted), result and error (the CA's problem
document whole, field errors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from certdesk.api.deps import Authenticated, Ctx
from certdesk.api.problems import PROBLEM_RESPONSES, not_found_responses
from certdesk.api.schemas import MAX_DB_INT, Offset
from certdesk.services import jobs
from certdesk.services.certificate_schemas import JobOut, JobPage

_NOT_FOUND = not_found_responses("job")

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=JobPage)
def list_jobs(
    principal: Authenticated,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=jobs.MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> JobPage:
    """Jobs, newest first."""
    return jobs.list_jobs(ctx, limit, offset)


@router.get("/{job_id}", response_model=JobOut, responses=_NOT_FOUND)
def get_job(
    job_id: Annotated[int, Path(ge=1, le=MAX_DB_INT)], principal: Authenticated, ctx: Ctx
) -> JobOut:
    """One job: poll it until ``state`` is SUCCESS, FAILED or ABORTED."""
    return jobs.get(ctx, job_id)
