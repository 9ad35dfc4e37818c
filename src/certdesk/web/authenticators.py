"""The "ACME DNS-Authenticators" pages behind the card on the Certificates screen: Add (choose a
type, then fill in its attributes), Edit (the type is fixed; secrets stay empty and are kept
unless typed again), Delete (with Force while certificates use it) and Test (write a random TXT
record, wait until every nameserver shows it, remove it, and show what each one saw). Each
action calls one service function; a rejected form comes back with its errors beside the
fields and everything typed except secrets."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from certdesk.errors import Conflict, DNSError, FieldError, InvalidInput
from certdesk.services import authenticators
from certdesk.services.auth import Principal
from certdesk.services.authenticator_schemas import (
    AuthenticatorCreate,
    AuthenticatorOut,
    AuthenticatorSchemaOut,
    AuthenticatorTestIn,
    AuthenticatorUpdate,
)
from certdesk.web.authenticator_form import (
    FormErrors,
    attributes_from_form,
    form_fields,
    place_errors,
    typed_values,
)
from certdesk.web.responses import delete_dialog, submitted_force
from certdesk.web.routing import WebRoute
from certdesk.web.session import Ctx, FormPrincipal, PagePrincipal, actor_for, form_field
from certdesk.web.templating import render
from certdesk.web.wizard_form import pydantic_field_errors

router = APIRouter(route_class=WebRoute, include_in_schema=False)

#: The type a new authenticator starts with (TrueNAS starts with cloudflare; rfc2136 needs no
#: cloud account).
DEFAULT_TYPE = "rfc2136"
FORCE_HELP = (
    "Delete the authenticator even if certificates use it; their renewals fail until each is "
    "given another authenticator."
)


Model = TypeVar("Model", bound=BaseModel)


def _validated(model: type[Model], **values: Any) -> Model:
    """``model`` built from form values; its errors (a value far too long) as InvalidInput."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise InvalidInput(pydantic_field_errors(exc)) from None


def _schemas() -> dict[str, AuthenticatorSchemaOut]:
    return {s.type: s for s in authenticators.schemas()}


def _schema(type_: str) -> AuthenticatorSchemaOut | None:
    return _schemas().get(type_.strip().lower())


def _form_page(
    request: Request,
    principal: Principal,
    *,
    auth: AuthenticatorOut | None,
    type_: str,
    name: str,
    values: dict[str, Any],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    schemas = _schemas()
    schema = schemas.get(type_)
    fields = (
        form_fields(
            schema.schema_,
            values,
            secrets_set=auth.secrets_set if auth else (),
            editing=auth is not None,
        )
        if schema
        else []
    )
    return render(
        request,
        "authenticators/form.html",
        {
            "auth": auth,
            "types": list(schemas.values()),
            "type": type_,
            "type_title": schema.title if schema else type_,
            "name": name,
            "fields": fields,
            "errors": errors or FormErrors(),
        },
        principal=principal,
        status_code=status,
    )


def _rejected(exc: InvalidInput | Conflict, field_names: list[str]) -> tuple[FormErrors, int]:
    if isinstance(exc, Conflict):
        return place_errors([FieldError(exc.field or "", exc.message)], field_names), 409
    return place_errors(exc.errors, field_names), 422


def _field_names(type_: str) -> list[str]:
    schema = _schema(type_)
    keys = schema.schema_.get("properties", {}) if schema else {}
    return ["name", "type", *(f"attributes.{key}" for key in keys)]


def _done(notice: str, name: str) -> RedirectResponse:
    query = urlencode({"notice": notice, "name": name})
    return RedirectResponse(f"/certificates?{query}#authenticators", status_code=303)


@router.get("/authenticators/new")
async def add_page(request: Request, principal: PagePrincipal, type: str | None = None) -> Response:
    chosen = _schema(type or DEFAULT_TYPE)
    type_ = chosen.type if chosen else DEFAULT_TYPE
    return _form_page(request, principal, auth=None, type_=type_, name="", values={})


@router.post("/authenticators/new")
async def add_submit(request: Request, ctx: Ctx, principal: FormPrincipal) -> Response:
    form = await request.form()
    name = str(form.get("name") or "")
    schema = _schema(str(form.get("type") or ""))
    if schema is None or form.get("action") == "choose_type":
        # The type changed (no script ran to show its fields): show the chosen type's form.
        type_ = schema.type if schema else DEFAULT_TYPE
        return _form_page(request, principal, auth=None, type_=type_, name=name, values={})
    try:
        data = _validated(
            AuthenticatorCreate,
            name=name,
            type=schema.type,
            attributes=attributes_from_form(schema.schema_, form, editing=False),
        )
        created = await run_in_threadpool(
            authenticators.create, ctx, data, actor_for(request, principal)
        )
    except (InvalidInput, Conflict) as exc:
        errors, status = _rejected(exc, _field_names(schema.type))
        values = typed_values(schema.schema_, form)
        return _form_page(
            request,
            principal,
            auth=None,
            type_=schema.type,
            name=name,
            values=values,
            errors=errors,
            status=status,
        )
    return _done("authenticator_added", created.name)


@router.get("/authenticators/{auth_id}")
async def edit_page(auth_id: int, request: Request, ctx: Ctx, principal: PagePrincipal) -> Response:
    auth = await run_in_threadpool(authenticators.get, ctx, auth_id)
    return _form_page(
        request, principal, auth=auth, type_=auth.type, name=auth.name, values=auth.attributes
    )


@router.post("/authenticators/{auth_id}")
async def edit_submit(
    auth_id: int, request: Request, ctx: Ctx, principal: FormPrincipal
) -> Response:
    auth = await run_in_threadpool(authenticators.get, ctx, auth_id)
    form = await request.form()
    name = str(form.get("name") or "")
    schema = _schema(auth.type)
    attributes = attributes_from_form(schema.schema_, form, editing=True) if schema else None
    try:
        data = _validated(AuthenticatorUpdate, name=name, attributes=attributes)
        updated = await run_in_threadpool(
            authenticators.update, ctx, auth_id, data, actor_for(request, principal)
        )
    except (InvalidInput, Conflict) as exc:
        errors, status = _rejected(exc, _field_names(auth.type))
        values = typed_values(schema.schema_, form) if schema else auth.attributes
        return _form_page(
            request,
            principal,
            auth=auth,
            type_=auth.type,
            name=name,
            values=values,
            errors=errors,
            status=status,
        )
    return _done("authenticator_saved", updated.name)


@router.get("/authenticators/{auth_id}/delete")
async def delete_page(
    auth_id: int, request: Request, ctx: Ctx, principal: PagePrincipal
) -> Response:
    auth = await run_in_threadpool(authenticators.get, ctx, auth_id)
    users = await run_in_threadpool(authenticators.certificates_using, ctx, auth_id)
    subject = {"auth": auth, "users": users}
    return delete_dialog(request, principal, "authenticators/delete.html", subject, FORCE_HELP)


@router.post("/authenticators/{auth_id}/delete")
async def delete_submit(
    auth_id: int, request: Request, ctx: Ctx, principal: FormPrincipal
) -> Response:
    force = await submitted_force(request)
    auth = await run_in_threadpool(authenticators.get, ctx, auth_id)
    try:
        await run_in_threadpool(
            authenticators.delete, ctx, auth_id, force, actor_for(request, principal)
        )
    except Conflict as exc:
        users = await run_in_threadpool(authenticators.certificates_using, ctx, auth_id)
        return delete_dialog(
            request,
            principal,
            "authenticators/delete.html",
            {"auth": auth, "users": users},
            FORCE_HELP,
            force=force,
            message=exc.message,
            status_code=409,
        )
    return _done("deleted", auth.name)


@router.get("/authenticators/{auth_id}/test")
async def test_page(auth_id: int, request: Request, ctx: Ctx, principal: PagePrincipal) -> Response:
    auth = await run_in_threadpool(authenticators.get, ctx, auth_id)
    return render(
        request,
        "authenticators/test.html",
        {"auth": auth, "domain": "", "result": None, "errors": FormErrors()},
        principal=principal,
    )


@router.post("/authenticators/{auth_id}/test")
async def test_submit(
    auth_id: int, request: Request, ctx: Ctx, principal: FormPrincipal
) -> Response:
    auth = await run_in_threadpool(authenticators.get, ctx, auth_id)
    domain = (await form_field(request, "domain")).strip()
    result = None
    errors = FormErrors()
    status = 200
    try:
        result = await run_in_threadpool(
            authenticators.test,
            ctx,
            auth_id,
            _validated(AuthenticatorTestIn, domain=domain),
            actor_for(request, principal),
        )
    except InvalidInput as exc:
        errors, status = place_errors(exc.errors, ["domain"]), 422
    except DNSError as exc:  # settings no longer usable (a shell script removed, ...)
        errors.general.append(exc.message)
    return render(
        request,
        "authenticators/test.html",
        {"auth": auth, "domain": domain, "result": result, "errors": errors},
        principal=principal,
        status_code=status,
    )
