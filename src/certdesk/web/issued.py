"""The issued ACME certificates on the web: the "Certificates" card's data, a details page,
downloads of the full chain and of the key (audited by the service), Renew (starts a job and
shows its page) and the Delete Certificate dialog, whose Force deletes even when the revocation
at the CA fails — and then says the certificate was not revoked."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from certdesk.errors import ACMEError, Conflict
from certdesk.services import alerts, certificates
from certdesk.services.certificate_schemas import CertificatePage
from certdesk.services.context import AppContext
from certdesk.services.notify import Alert
from certdesk.web.responses import attachment, delete_dialog, submitted_force
from certdesk.web.routing import WebRoute
from certdesk.web.session import Ctx, FormPrincipal, PagePrincipal, actor_for
from certdesk.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

CARD_SIZE = 100
FORCE_HELP = (
    "Delete the certificate even if revoking it at the ACME server fails; it then stays valid "
    "until it expires. An expired certificate is never revoked."
)


def issued_page(ctx: AppContext) -> CertificatePage:
    """What the Certificates card lists."""
    return certificates.list_certificates(ctx, CARD_SIZE, 0)


def banner_alerts(ctx: AppContext) -> list[Alert]:
    """The alerts banner above the Certificates card: expired, failing, undeployed, expiring."""
    return alerts.active_alerts(ctx)


@router.get("/certificates/{certificate_id}")
async def details_page(
    certificate_id: int, request: Request, ctx: Ctx, principal: PagePrincipal
) -> Response:
    details = await run_in_threadpool(certificates.get, ctx, certificate_id)
    return render(request, "issued/details.html", {"cert": details}, principal=principal)


@router.get("/certificates/{certificate_id}/certificate")
async def download_chain(certificate_id: int, ctx: Ctx, principal: PagePrincipal) -> Response:
    return attachment(await run_in_threadpool(certificates.certificate_file, ctx, certificate_id))


@router.get("/certificates/{certificate_id}/key")
async def download_key(
    certificate_id: int, request: Request, ctx: Ctx, principal: PagePrincipal
) -> Response:
    actor = actor_for(request, principal)
    file = await run_in_threadpool(certificates.private_key_file, ctx, certificate_id, actor)
    return attachment(file)


@router.post("/certificates/{certificate_id}/renew")
async def renew(
    certificate_id: int, request: Request, ctx: Ctx, principal: FormPrincipal
) -> Response:
    actor = actor_for(request, principal)
    created = await run_in_threadpool(certificates.renew, ctx, certificate_id, actor)
    return RedirectResponse(f"/jobs/{created.job_id}", status_code=303)


@router.get("/certificates/{certificate_id}/delete")
async def delete_page(
    certificate_id: int, request: Request, ctx: Ctx, principal: PagePrincipal
) -> Response:
    details = await run_in_threadpool(certificates.get, ctx, certificate_id)
    return delete_dialog(request, principal, "issued/delete.html", {"cert": details}, FORCE_HELP)


@router.post("/certificates/{certificate_id}/delete")
async def delete_submit(
    certificate_id: int, request: Request, ctx: Ctx, principal: FormPrincipal
) -> Response:
    force = await submitted_force(request)
    details = await run_in_threadpool(certificates.get, ctx, certificate_id)
    actor = actor_for(request, principal)
    try:
        result = await run_in_threadpool(certificates.delete, ctx, certificate_id, force, actor)
    except (ACMEError, Conflict) as exc:
        problem = exc.problem if isinstance(exc, ACMEError) else None
        return delete_dialog(
            request,
            principal,
            "issued/delete.html",
            {"cert": details, "problem": problem},
            FORCE_HELP,
            force=force,
            message=exc.message,
            status_code=409 if isinstance(exc, Conflict) else 502,
        )
    if result.revoked:
        query = urlencode({"notice": "deleted", "name": details.name})
        return RedirectResponse(f"/certificates?{query}", status_code=303)
    return render(request, "issued/deleted.html", {"result": result}, principal=principal)
