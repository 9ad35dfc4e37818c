"""The Edit CSR screen: the CSR's details (truenas-spec §4.3), its Name (rename), the
View/Download CSR and View/Download Key windows and the way to Create ACME Certificate."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from certdesk.errors import Conflict, FieldError, InvalidInput
from certdesk.services import csrs
from certdesk.services.auth import Principal
from certdesk.services.schemas import CSRDetails, CSRRename
from certdesk.web.routing import WebRoute
from certdesk.web.session import Ctx, FormPrincipal, PagePrincipal, actor_for, form_field
from certdesk.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

TYPE_LABEL = {"CERTIFICATE": "Certificate"}
EXTENSION_LABEL = {
    "BasicConstraints": "Basic Constraints",
    "ExtendedKeyUsage": "Extended Key Usage",
    "KeyUsage": "Key Usage",
    "AuthorityKeyIdentifier": "Authority Key Identifier",
    "SubjectKeyIdentifier": "Subject Key Identifier",
}
SOURCE_LABEL = {"created": "Created by certdesk", "imported": "Imported"}


def detail_rows(csr: CSRDetails) -> list[tuple[str, str]]:
    """The details panel as (label, text) rows; ``--`` where a value is absent."""

    def text(value: object) -> str:
        return "--" if value in (None, "", []) else str(value)

    return [
        ("Common", text(csr.common)),
        ("SAN", text(", ".join(csr.san))),
        ("Distinguished Name", text(csr.DN)),
        ("Country", text(csr.country)),
        ("State", text(csr.state)),
        ("City", text(csr.city)),
        ("Organization", text(csr.organization)),
        ("Organizational Unit", text(csr.organizational_unit)),
        ("Email", text(csr.email)),
        ("Type", TYPE_LABEL.get(csr.cert_type, csr.cert_type)),
        ("Path", text(csr.root_path)),
        ("Digest Algorithm", text(csr.digest_algorithm)),
        ("Key Length", text(csr.key_length)),
        ("Key Type", text(csr.key_type)),
        *([("EC Curve", text(csr.ec_curve))] if csr.key_type == "EC" else []),
        ("Source", SOURCE_LABEL.get(csr.source, csr.source)),
        ("SHA-256 Fingerprint", text(csr.fingerprint_sha256)),
    ]


def extension_rows(csr: CSRDetails) -> list[tuple[str, str]]:
    """The requested extensions other than the SANs (shown above), as (name, text) rows."""
    return [
        (EXTENSION_LABEL.get(name, name), text)
        for name, text in csr.extensions.items()
        if name != "SubjectAltName"
    ]


def _page(
    request: Request,
    principal: Principal,
    csr: CSRDetails,
    *,
    name: str | None = None,
    errors: list[str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "edit.html",
        {
            "csr": csr,
            "rows": detail_rows(csr),
            "extensions": extension_rows(csr),
            "name": csr.name if name is None else name,
            "name_errors": errors or [],
            "notice": notice,
        },
        principal=principal,
        status_code=status,
    )


@router.get("/csrs/{csr_id}")
async def edit_page(
    csr_id: int, request: Request, ctx: Ctx, principal: PagePrincipal, renamed: int = 0
) -> Response:
    csr = await run_in_threadpool(csrs.get, ctx, csr_id)
    notice = f"Renamed to {csr.name}." if renamed else None
    return _page(request, principal, csr, notice=notice)


@router.post("/csrs/{csr_id}")
async def rename_submit(
    csr_id: int, request: Request, ctx: Ctx, principal: FormPrincipal
) -> Response:
    new_name = (await form_field(request, "name")).strip()
    actor = actor_for(request, principal)
    errors: list[FieldError]
    try:
        await run_in_threadpool(csrs.rename, ctx, csr_id, CSRRename(name=new_name), actor)
    except InvalidInput as exc:
        errors, status = list(exc.errors), 422
    except Conflict as exc:
        errors, status = [FieldError("name", exc.message)], 409
    else:
        return RedirectResponse(f"/csrs/{csr_id}?renamed=1", status_code=303)
    csr = await run_in_threadpool(csrs.get, ctx, csr_id)
    messages = [e.message for e in errors]
    return _page(request, principal, csr, name=new_name, errors=messages, status=status)
