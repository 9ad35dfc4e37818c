"""The Create ACME Certificate screen (truenas-spec §7.1) and the job page that follows it: the
form (Identifier, Terms of Service, Renew Certificate Days, Custom ACME Server Directory URI,
ACME Server Directory URI, one DNS authenticator per domain of the CSR) goes to
``services.certificates.create_acme``, which checks everything before any network call; the
issuance runs as a job whose progress page refreshes itself until the job ends. The EAB HMAC key
is never sent back into a page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from certdesk.errors import FieldError, InvalidInput
from certdesk.services import acme_terms, authenticators, certificates, csrs, jobs
from certdesk.services.auth import Principal
from certdesk.services.certificate_schemas import (
    DEFAULT_RENEW_DAYS,
    MAX_RENEW_DAYS,
    MIN_RENEW_DAYS,
    ACMECertificateCreate,
)
from certdesk.services.choices import choices
from certdesk.services.context import AppContext
from certdesk.web.routing import WebRoute
from certdesk.web.session import Ctx, FormPrincipal, PagePrincipal, actor_for
from certdesk.web.templating import render
from certdesk.web.wizard_form import pydantic_field_errors

router = APIRouter(route_class=WebRoute, include_in_schema=False)

MAPPING = "dns_mapping"


@dataclass(frozen=True)
class ACMEValues:
    """What the form shows (never the EAB HMAC key)."""

    name: str = ""
    tos: bool = False
    renew_days: str = str(DEFAULT_RENEW_DAYS)
    custom: bool = False
    directory: str = ""
    custom_directory: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    contact_email: str = ""
    eab_kid: str = ""
    ca_bundle: str = ""

    @classmethod
    def from_form(cls, form: FormData, domains: Sequence[str]) -> ACMEValues:
        def get(name: str) -> str:
            value = form.get(name)
            return value.strip() if isinstance(value, str) else ""

        return cls(
            name=get("name"),
            tos=form.get("tos") is not None,
            renew_days=get("renew_days"),
            custom=form.get("custom_directory") is not None,
            directory=get("acme_directory_uri"),
            custom_directory=get("acme_directory_custom_uri"),
            mapping={d: get(f"{MAPPING}.{d}") for d in domains},
            contact_email=get("contact_email"),
            eab_kid=get("eab_kid"),
            ca_bundle=get("ca_bundle"),
        )

    @property
    def directory_uri(self) -> str:
        return (self.custom_directory or self.directory) if self.custom else self.directory


def build_request(values: ACMEValues, csr_id: int, eab_hmac_key: str) -> ACMECertificateCreate:
    """The service request, or ``InvalidInput`` for what the form itself can tell."""
    errors: list[FieldError] = []
    renew_days = DEFAULT_RENEW_DAYS
    try:
        renew_days = int(values.renew_days)
    except ValueError:
        errors.append(
            FieldError(
                "renew_days",
                f"Renew Certificate Days must be a whole number from {MIN_RENEW_DAYS} to "
                f"{MAX_RENEW_DAYS}",
            )
        )
    mapping: dict[str, int] = {}
    for domain, chosen in values.mapping.items():
        if chosen.isdigit():
            mapping[domain] = int(chosen)
    if errors:
        raise InvalidInput(errors)
    try:
        return ACMECertificateCreate(
            name=values.name,
            csr_id=csr_id,
            tos=values.tos,
            renew_days=renew_days,
            acme_directory_uri=values.directory_uri,
            ca_bundle=values.ca_bundle or None,
            contact_email=values.contact_email or None,
            eab_kid=values.eab_kid or None,
            eab_hmac_key=eab_hmac_key or None,
            dns_mapping=mapping,
        )
    except ValidationError as exc:
        raise InvalidInput(pydantic_field_errors(exc)) from None


_FIELDS = (
    "name",
    "tos",
    "renew_days",
    "acme_directory_uri",
    "ca_bundle",
    "contact_email",
    "eab_kid",
    "eab_hmac_key",
)


def terms_href(url: str | None) -> str | None:
    """``url`` when it is safe as a link target (http, https, plain-text data), else ``None``
    (the page then shows it as text: a directory could name a ``javascript:`` URL)."""
    if url is None:
        return None
    lowered = url.strip().lower()
    if lowered.startswith(("https://", "http://", "data:text/plain,", "data:text/plain;")):
        return url.strip()
    return None


def place_errors(
    errors: Sequence[FieldError], domains: Sequence[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """Errors by the control that shows them, and the rest for the top of the form."""
    anchors = {*_FIELDS, *(f"{MAPPING}.{d}" for d in domains)}
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for error in errors:
        if error.field in anchors:
            by_field.setdefault(error.field, []).append(error.message)
        else:
            general.append(f"{error.field}: {error.message}" if error.field else error.message)
    return by_field, general


def _form_page(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    csr_id: int,
    values: ACMEValues,
    errors: Sequence[FieldError] = (),
    *,
    eab_dropped: bool = False,
    status: int = 200,
    domains: Sequence[str] | None = None,
) -> Response:
    csr = csrs.get(ctx, csr_id)
    if domains is None:
        domains = csrs.domains(ctx, csr_id)
    by_field, general = place_errors(errors, domains)
    presets = choices().acme_directories
    if not values.directory and presets:
        values = replace(values, directory=presets[0].value)
    terms = acme_terms.terms_of_service_url(ctx, values.directory_uri, values.ca_bundle or None)
    return render(
        request,
        "acme.html",
        {
            "csr": csr,
            "domains": domains,
            "authenticators": authenticators.list_authenticators(ctx),
            "presets": presets,
            "v": values,
            "errors": by_field,
            "general": general,
            "eab_dropped": eab_dropped,
            "terms": terms,
            "terms_href": terms_href(terms),
            "min_days": MIN_RENEW_DAYS,
            "max_days": MAX_RENEW_DAYS,
        },
        principal=principal,
        status_code=status,
    )


@router.get("/csrs/{csr_id}/acme")
async def create_acme_page(
    csr_id: int, request: Request, ctx: Ctx, principal: PagePrincipal
) -> Response:
    return await run_in_threadpool(_form_page, request, ctx, principal, csr_id, ACMEValues())


@router.post("/csrs/{csr_id}/acme")
async def create_acme_submit(
    csr_id: int, request: Request, ctx: Ctx, principal: FormPrincipal
) -> Response:
    form = await request.form()
    domains = await run_in_threadpool(csrs.domains, ctx, csr_id)
    values = ACMEValues.from_form(form, domains)
    hmac_value = form.get("eab_hmac_key")
    eab_hmac_key = hmac_value if isinstance(hmac_value, str) else ""
    try:
        data = build_request(values, csr_id, eab_hmac_key.strip())
        created = await run_in_threadpool(
            certificates.create_acme, ctx, data, actor_for(request, principal)
        )
    except InvalidInput as exc:
        errors = exc.errors
    else:
        return RedirectResponse(f"/jobs/{created.job_id}", status_code=303)
    return await run_in_threadpool(
        lambda: _form_page(
            request,
            ctx,
            principal,
            csr_id,
            values,
            errors,
            eab_dropped=bool(eab_hmac_key),
            status=422,
            domains=domains,
        )
    )


@router.get("/acme/terms")
async def acme_terms_lookup(
    ctx: Ctx, principal: PagePrincipal, directory: str = "", ca_bundle: str = ""
) -> JSONResponse:
    """The terms of service of a directory, for the Create ACME Certificate page's script:
    ``{"url": ..., "href": ...}`` (``href`` only when safe as a link; both null when none)."""
    url = await run_in_threadpool(
        acme_terms.terms_of_service_url, ctx, directory, ca_bundle.strip() or None
    )
    return JSONResponse(
        {"url": url, "href": terms_href(url)}, headers={"Cache-Control": "no-store"}
    )


@router.get("/jobs/{job_id}")
async def job_page(job_id: int, request: Request, ctx: Ctx, principal: PagePrincipal) -> Response:
    """A job's progress; the page refreshes itself (also without JavaScript) until it ends."""
    job = await run_in_threadpool(jobs.get, ctx, job_id)
    return render(
        request,
        "job.html",
        {"job": job, "finished": job.state in jobs.FINAL_STATES},
        principal=principal,
    )
