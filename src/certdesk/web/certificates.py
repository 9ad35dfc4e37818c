"""The Certificates screen and what its CSR rows lead to: the "Certificate Signing Requests"
card, CSR and key downloads (the same bytes as the API; key hand-outs are audited by the service),
the PEM view pages behind the View/Download dialogs, and the Delete Certificate dialog's page and
action."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from certdesk.errors import Conflict
from certdesk.services import authenticators, csrs
from certdesk.web import issued
from certdesk.web.responses import attachment, delete_dialog, submitted_force
from certdesk.web.routing import WebRoute
from certdesk.web.session import Ctx, FormPrincipal, PagePrincipal, actor_for
from certdesk.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 50
#: Notices shown after a redirect, by code (never text taken from the URL).
NOTICES = {
    "created": "Certificate signing request created: {name}.",
    "imported": "Certificate signing request imported: {name}.",
    "deleted": "Deleted {name}.",
    "renamed": "Renamed to {name}.",
    "authenticator_added": "ACME DNS-Authenticator added: {name}.",
    "authenticator_saved": "ACME DNS-Authenticator saved: {name}.",
}
FORCE_HELP = (
    "Delete the CSR even if certificates were issued from it; those certificates keep their own "
    "copy of the CSR and private key."
)


def notice_text(code: str | None, name: str | None) -> str | None:
    template = NOTICES.get(code or "")
    return template.format(name=name or "") if template else None


@router.get("/")
async def home(principal: PagePrincipal) -> Response:
    return RedirectResponse("/certificates", status_code=303)


@router.get("/certificates")
async def certificates(
    request: Request,
    ctx: Ctx,
    principal: PagePrincipal,
    offset: int = 0,
    notice: str | None = None,
    name: str | None = None,
) -> Response:
    page = await run_in_threadpool(csrs.list_csrs, ctx, PAGE_SIZE, max(0, offset), None)
    auths = await run_in_threadpool(authenticators.list_authenticators, ctx)
    issued_certificates = await run_in_threadpool(issued.issued_page, ctx)
    banner = await run_in_threadpool(issued.banner_alerts, ctx)
    return render(
        request,
        "certificates.html",
        {
            "page": page,
            "offset": max(0, offset),
            "page_size": PAGE_SIZE,
            "notice": notice_text(notice, name),
            "force_help": FORCE_HELP,
            "authenticators": auths,
            "issued": issued_certificates,
            "alerts": banner,
        },
        principal=principal,
    )


@router.get("/csrs/{csr_id}/csr")
async def download_csr(csr_id: int, ctx: Ctx, principal: PagePrincipal) -> Response:
    return attachment(await run_in_threadpool(csrs.csr_file, ctx, csr_id))


@router.get("/csrs/{csr_id}/key")
async def download_key(
    csr_id: int, request: Request, ctx: Ctx, principal: PagePrincipal
) -> Response:
    actor = actor_for(request, principal)
    return attachment(await run_in_threadpool(csrs.private_key_file, ctx, csr_id, actor))


@router.get("/csrs/{csr_id}/{what}/view")
async def view_pem(
    csr_id: int,
    what: Literal["csr", "key"],
    request: Request,
    ctx: Ctx,
    principal: PagePrincipal,
) -> Response:
    """The PEM on a page of its own: what the View/Download dialog shows, without JavaScript."""
    details = await run_in_threadpool(csrs.get, ctx, csr_id)
    if what == "key":
        actor = actor_for(request, principal)
        file = await run_in_threadpool(csrs.private_key_file, ctx, csr_id, actor)
        title = "Private Key"
    else:
        file = await run_in_threadpool(csrs.csr_file, ctx, csr_id)
        title = "Certificate Signing Request"
    return render(
        request,
        "pem.html",
        {
            "csr": details,
            "title": title,
            "pem": file.content.decode("ascii", "replace"),
            "download_url": f"/csrs/{csr_id}/{what}",
            "filename": file.filename,
        },
        principal=principal,
    )


@router.get("/csrs/{csr_id}/delete")
async def delete_page(
    csr_id: int, request: Request, ctx: Ctx, principal: PagePrincipal
) -> Response:
    details = await run_in_threadpool(csrs.get, ctx, csr_id)
    return delete_dialog(request, principal, "delete.html", {"csr": details}, FORCE_HELP)


@router.post("/csrs/{csr_id}/delete")
async def delete_submit(
    csr_id: int, request: Request, ctx: Ctx, principal: FormPrincipal
) -> Response:
    force = await submitted_force(request)
    details = await run_in_threadpool(csrs.get, ctx, csr_id)
    try:
        await run_in_threadpool(csrs.delete, ctx, csr_id, force, actor_for(request, principal))
    except Conflict as exc:
        return delete_dialog(
            request,
            principal,
            "delete.html",
            {"csr": details},
            FORCE_HELP,
            force=force,
            message=exc.message,
            status_code=409,
        )
    query = urlencode({"notice": "deleted", "name": details.name})
    return RedirectResponse(f"/certificates?{query}", status_code=303)
