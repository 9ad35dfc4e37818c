"""The certificate routes: ``POST /certificates/acme`` (starts the issuance job), list, details,
rename / Renew Certificate Days, delete (revoking first), downloads and renew. Each handler
validates with pydantic and calls one service function."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from certdesk.api.deps import Authenticated, Ctx, CurrentActor
from certdesk.api.downloads import attachment, attachment_doc
from certdesk.api.jsonbody import StrictJSONRoute
from certdesk.api.problems import PROBLEM_RESPONSES, not_found_responses, problem_responses
from certdesk.api.schemas import MAX_DB_INT, Offset
from certdesk.services import certificates
from certdesk.services.certificate_schemas import (
    ACMECertificateCreate,
    CertificateDeleted,
    CertificateDetails,
    CertificatePage,
    CertificateUpdate,
    JobCreated,
)

CertificateId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="The certificate's id")]

_NOT_FOUND = not_found_responses("certificate")
_CONFLICT = problem_responses(409, "The name is taken, or busy")
_CA_FAILED = problem_responses(502, "The CA refused the revocation (with its problem document)")

router = APIRouter(
    prefix="/certificates",
    tags=["certificates"],
    responses=PROBLEM_RESPONSES,
    route_class=StrictJSONRoute,
)


@router.post(
    "/acme",
    response_model=JobCreated,
    status_code=status.HTTP_202_ACCEPTED,
    responses=_CONFLICT,
)
def create_acme_certificate(
    data: ACMECertificateCreate, actor: CurrentActor, ctx: Ctx
) -> JobCreated:
    """Check the request (every error at once, no network call), then start the issuance job;
    follow it at ``GET /jobs/{job_id}``."""
    return certificates.create_acme(ctx, data, actor)


@router.get("", response_model=CertificatePage)
def list_certificates(
    principal: Authenticated,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=certificates.MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> CertificatePage:
    """The Certificates card: name, domains, issuer, expiry and days left."""
    return certificates.list_certificates(ctx, limit, offset)


@router.get("/{certificate_id}", response_model=CertificateDetails, responses=_NOT_FOUND)
def get_certificate(
    certificate_id: CertificateId, principal: Authenticated, ctx: Ctx
) -> CertificateDetails:
    """One certificate's details; never the private key."""
    return certificates.get(ctx, certificate_id)


@router.patch(
    "/{certificate_id}", response_model=CertificateDetails, responses=_NOT_FOUND | _CONFLICT
)
def update_certificate(
    certificate_id: CertificateId, data: CertificateUpdate, actor: CurrentActor, ctx: Ctx
) -> CertificateDetails:
    """Rename (and its files) and/or change Renew Certificate Days."""
    return certificates.update(ctx, certificate_id, data, actor)


@router.delete(
    "/{certificate_id}",
    response_model=CertificateDeleted,
    responses=_NOT_FOUND | _CONFLICT | _CA_FAILED,
)
def delete_certificate(
    certificate_id: CertificateId,
    actor: CurrentActor,
    ctx: Ctx,
    force: Annotated[
        bool, Query(description="Delete even when the revocation at the CA fails")
    ] = False,
) -> CertificateDeleted:
    """Revoke at the CA (unless expired), then delete; ``revoked`` says whether it was."""
    return certificates.delete(ctx, certificate_id, force, actor)


@router.get(
    "/{certificate_id}/certificate",
    response_class=Response,
    responses={
        200: attachment_doc("application/pem-certificate-chain"),
        **_NOT_FOUND,
    },
)
def download_certificate(
    certificate_id: CertificateId, principal: Authenticated, ctx: Ctx
) -> Response:
    """The full chain as PEM, as the attachment ``<name>.crt``."""
    return attachment(certificates.certificate_file(ctx, certificate_id))


@router.get(
    "/{certificate_id}/private-key",
    response_class=Response,
    responses={
        200: attachment_doc("application/x-pem-file"),
        **_NOT_FOUND,
    },
)
def download_private_key(certificate_id: CertificateId, actor: CurrentActor, ctx: Ctx) -> Response:
    """The private key as PEM (``<name>.key``); recorded in the audit log."""
    return attachment(certificates.private_key_file(ctx, certificate_id, actor))


@router.post(
    "/{certificate_id}/renew",
    response_model=JobCreated,
    status_code=status.HTTP_202_ACCEPTED,
    responses=_NOT_FOUND | _CONFLICT,
)
def renew_certificate(certificate_id: CertificateId, actor: CurrentActor, ctx: Ctx) -> JobCreated:
    """Start a renewal job with the stored CSR, key and domain mapping."""
    return certificates.renew(ctx, certificate_id, actor)
