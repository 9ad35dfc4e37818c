"""The CSR routes of ``/api/v1/csrs``: list, create or import, details, rename, delete,
downloads and domains. Each handler validates with pydantic and calls one service function."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response, status

from certdesk.api.deps import Authenticated, Ctx, CurrentActor
from certdesk.api.downloads import attachment, attachment_doc
from certdesk.api.jsonbody import StrictJSONRoute
from certdesk.api.problems import PROBLEM_RESPONSES, not_found_responses, problem_responses
from certdesk.api.schemas import MAX_DB_INT, Offset
from certdesk.services import csrs
from certdesk.services.schemas import (
    CSRCreate,
    CSRDetails,
    CSRImport,
    CSRPage,
    CSRRename,
)

CSRId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="The CSR's id")]
CSRIn = Annotated[CSRCreate | CSRImport, Body(discriminator="create_type")]

_NOT_FOUND = not_found_responses("CSR")
_CONFLICT = problem_responses(409, "The name is taken, or the CSR is in use")

router = APIRouter(
    prefix="/csrs", tags=["csrs"], responses=PROBLEM_RESPONSES, route_class=StrictJSONRoute
)


@router.get("", response_model=CSRPage)
def list_csrs(
    principal: Authenticated,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=csrs.MAX_PAGE)] = 50,
    offset: Offset = 0,
    search: Annotated[str | None, Query(max_length=200)] = None,
) -> CSRPage:
    """A page of CSRs, newest first; ``search`` matches the name, common name and SANs."""
    return csrs.list_csrs(ctx, limit, offset, search)


@router.post(
    "", response_model=CSRDetails, status_code=status.HTTP_201_CREATED, responses=_CONFLICT
)
def create_csr(data: CSRIn, actor: CurrentActor, ctx: Ctx) -> CSRDetails:
    """Create a CSR and its key, or import a CSR with its key, chosen by ``create_type``."""
    if isinstance(data, CSRImport):
        return csrs.import_csr(ctx, data, actor)
    return csrs.create(ctx, data, actor)


@router.get("/{csr_id}", response_model=CSRDetails, responses=_NOT_FOUND)
def get_csr(csr_id: CSRId, principal: Authenticated, ctx: Ctx) -> CSRDetails:
    """What the Edit CSR screen shows; never the private key."""
    return csrs.get(ctx, csr_id)


@router.patch("/{csr_id}", response_model=CSRDetails, responses=_NOT_FOUND | _CONFLICT)
def rename_csr(csr_id: CSRId, data: CSRRename, actor: CurrentActor, ctx: Ctx) -> CSRDetails:
    """Rename a CSR (and its files)."""
    return csrs.rename(ctx, csr_id, data, actor)


@router.delete(
    "/{csr_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NOT_FOUND | _CONFLICT
)
def delete_csr(
    csr_id: CSRId,
    actor: CurrentActor,
    ctx: Ctx,
    force: Annotated[bool, Query(description="Delete even if certificates came from it")] = False,
) -> None:
    """Delete a CSR, its key and its files."""
    csrs.delete(ctx, csr_id, force, actor)


@router.get(
    "/{csr_id}/csr",
    response_class=Response,
    responses={
        200: attachment_doc("application/pkcs10"),
        **_NOT_FOUND,
    },
)
def download_csr(csr_id: CSRId, principal: Authenticated, ctx: Ctx) -> Response:
    """The CSR as PEM, as the attachment ``<name>.csr``."""
    return attachment(csrs.csr_file(ctx, csr_id))


@router.get(
    "/{csr_id}/private-key",
    response_class=Response,
    responses={
        200: attachment_doc("application/x-pem-file"),
        **_NOT_FOUND,
    },
)
def download_private_key(csr_id: CSRId, actor: CurrentActor, ctx: Ctx) -> Response:
    """The private key as PEM, as the attachment ``<name>.key``; recorded in the audit log."""
    return attachment(csrs.private_key_file(ctx, csr_id, actor))


@router.get("/{csr_id}/domains", response_model=list[str], responses=_NOT_FOUND)
def csr_domains(csr_id: CSRId, principal: Authenticated, ctx: Ctx) -> list[str]:
    """The domain labels that need a DNS authenticator to issue an ACME certificate."""
    return csrs.domains(ctx, csr_id)
