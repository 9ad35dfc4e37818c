"""The Add CSR wizard's routes: the form (five steps in one page; a script makes it a stepper)
and its submission. A rejected submission re-renders the form with everything typed, the errors
beside their fields and the first step with an error open — except the private key and the
passphrases, which are never sent back: the page asks for them again."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from certdesk.errors import Conflict, CryptoError, FieldError, InvalidInput
from certdesk.services import csrs
from certdesk.services.auth import Principal
from certdesk.services.choices import choices
from certdesk.services.schemas import ChoiceOut, ChoicesOut, CSRCreate, ProfileOut
from certdesk.web.routing import WebRoute
from certdesk.web.session import Ctx, FormPrincipal, PagePrincipal, actor_for
from certdesk.web.templating import render
from certdesk.web.wizard_errors import PlacedErrors, place_errors
from certdesk.web.wizard_form import (
    AKI,
    BC,
    BC_CONFIG,
    BC_CONFIG_OPTIONS,
    EKU,
    IMPORT,
    KEY_USAGE_BITS,
    KU,
    KU_CONFIG,
    PATH_LENGTH,
    STEPS,
    STEPS_FOR,
    TYPE_LABELS,
    USAGES,
    ImportSecrets,
    WizardValues,
    build_request,
    profiles_json,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)

_VERDICT_ORDER = {"recommended": 0, "warning": 1, "refused": 2}

AKI_REASON = (
    "Authority Key Identifier cannot be requested in a CSR: the CA that signs the certificate "
    "sets it from its own key."
)


MULTI_HINT = (
    "Several can be selected: hold Ctrl (Command on a Mac) while clicking or pressing Space."
)


def _by_verdict(options: list[ChoiceOut]) -> list[ChoiceOut]:
    return sorted(options, key=lambda c: _VERDICT_ORDER.get(c.verdict, 3))


def _profile(all_choices: ChoicesOut, name: str) -> ProfileOut | None:
    return next((p for p in all_choices.profiles if p.name == name), None)


def _page(
    request: Request,
    principal: Principal,
    values: WizardValues,
    errors: PlacedErrors | None = None,
    *,
    step: str | None = None,
    secrets_dropped: bool = False,
    status: int = 200,
) -> Response:
    all_choices = choices()
    errors = errors or PlacedErrors()
    return render(
        request,
        "wizard.html",
        {
            "v": values,
            "errors": errors,
            "step": step or errors.step,
            "steps": STEPS,
            "steps_for": STEPS_FOR,
            "type_labels": TYPE_LABELS,
            "secrets_dropped": secrets_dropped,
            "key_types": all_choices.key_types,
            "key_lengths": all_choices.key_lengths,
            "ec_curves": _by_verdict(all_choices.ec_curves),
            "digests": all_choices.digest_algorithms,
            "countries": all_choices.countries,
            "extended_key_usages": all_choices.extended_key_usages,
            "key_usages": all_choices.key_usages,
            "profiles": all_choices.profiles,
            "profiles_json": profiles_json(all_choices),
            "BC": BC,
            "BC_CONFIG": BC_CONFIG,
            "BC_CONFIG_OPTIONS": BC_CONFIG_OPTIONS,
            "KU_CONFIG": KU_CONFIG,
            "MULTI_HINT": MULTI_HINT,
            "AKI": AKI,
            "EKU": EKU,
            "KU": KU,
            "PATH_LENGTH": PATH_LENGTH,
            "USAGES": USAGES,
            "KEY_USAGE_BITS": KEY_USAGE_BITS,
            "aki_reason": AKI_REASON,
        },
        principal=principal,
        status_code=status,
    )


@router.get("/csrs/new")
async def wizard_page(
    request: Request, principal: PagePrincipal, type: str | None = None
) -> Response:
    values = WizardValues(create_type=IMPORT) if type == "import" else WizardValues()
    return _page(request, principal, values)


@router.post("/csrs/new")
async def wizard_submit(request: Request, ctx: Ctx, principal: FormPrincipal) -> Response:
    form = await request.form()
    values = WizardValues.from_form(form)
    secrets = ImportSecrets.from_form(form)
    profile = _profile(choices(), values.profile) if values.profile else None
    if form.get("action") == "apply_profile":
        if profile is not None:
            values = values.with_profile(profile)
        return _page(request, principal, values, step="options")
    if not values.is_import and profile is not None and values.profile_applied != profile.name:
        # The profile was chosen but its values never reached the fields (no script ran and
        # "Apply Profile" was not pressed): it fills them now, as choosing it would have.
        values = values.with_profile(profile)
    try:
        data = build_request(values, secrets)
        actor = actor_for(request, principal)
        if isinstance(data, CSRCreate):
            created = await run_in_threadpool(csrs.create, ctx, data, actor)
        else:
            created = await run_in_threadpool(csrs.import_csr, ctx, data, actor)
    except InvalidInput as exc:
        errors: list[FieldError] = list(exc.errors)
        status = 422
    except Conflict as exc:
        errors, status = [FieldError(exc.field or "", exc.message)], 409
    except CryptoError as exc:
        errors, status = [FieldError("", exc.message)], 422
    else:
        notice = "imported" if values.is_import else "created"
        query = urlencode({"notice": notice, "name": created.name})
        return RedirectResponse(f"/certificates?{query}", status_code=303)
    return _page(
        request,
        principal,
        values,
        place_errors(errors, values.create_type),
        secrets_dropped=values.is_import and secrets.given,
        status=status,
    )
