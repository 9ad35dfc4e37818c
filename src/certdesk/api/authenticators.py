"""The DNS authenticator routes of ``/api/v1/acme/authenticators``: the types' schemas, list,
create, show, update, delete and the Test action. Each handler validates with pydantic and calls
one service function; secret attributes never appear in a response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from certdesk.api.deps import Authenticated, Ctx, CurrentActor
from certdesk.api.jsonbody import StrictJSONRoute
from certdesk.api.problems import PROBLEM_RESPONSES, not_found_responses, problem_responses
from certdesk.api.schemas import MAX_DB_INT
from certdesk.services import authenticators
from certdesk.services.authenticator_schemas import (
    AuthenticatorCreate,
    AuthenticatorOut,
    AuthenticatorSchemaOut,
    AuthenticatorTestIn,
    AuthenticatorTestOut,
    AuthenticatorUpdate,
)

AuthenticatorId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="The authenticator's id")]

_NOT_FOUND = not_found_responses("authenticator")
_CONFLICT = problem_responses(409, "The name is taken, or certificates use the authenticator")

router = APIRouter(
    prefix="/acme/authenticators",
    tags=["dns authenticators"],
    responses=PROBLEM_RESPONSES,
    route_class=StrictJSONRoute,
)


@router.get("/schemas", response_model=list[AuthenticatorSchemaOut])
def list_schemas(principal: Authenticated) -> list[AuthenticatorSchemaOut]:
    """Every authenticator type with the JSON Schema of its attributes (secrets are marked
    ``writeOnly`` and ``format: password``)."""
    return authenticators.schemas()


@router.get("", response_model=list[AuthenticatorOut])
def list_authenticators(principal: Authenticated, ctx: Ctx) -> list[AuthenticatorOut]:
    """Every configured authenticator, by name; secrets are listed in ``secrets_set`` only."""
    return authenticators.list_authenticators(ctx)


@router.post(
    "",
    response_model=AuthenticatorOut,
    status_code=status.HTTP_201_CREATED,
    responses=_CONFLICT,
)
def create_authenticator(
    data: AuthenticatorCreate, actor: CurrentActor, ctx: Ctx
) -> AuthenticatorOut:
    """Create an authenticator of one type with its attributes (checked by the type)."""
    return authenticators.create(ctx, data, actor)


@router.get("/{authenticator_id}", response_model=AuthenticatorOut, responses=_NOT_FOUND)
def get_authenticator(
    authenticator_id: AuthenticatorId, principal: Authenticated, ctx: Ctx
) -> AuthenticatorOut:
    """One authenticator, without its secrets."""
    return authenticators.get(ctx, authenticator_id)


@router.patch(
    "/{authenticator_id}", response_model=AuthenticatorOut, responses=_NOT_FOUND | _CONFLICT
)
def update_authenticator(
    authenticator_id: AuthenticatorId, data: AuthenticatorUpdate, actor: CurrentActor, ctx: Ctx
) -> AuthenticatorOut:
    """Rename it or change attributes: given attributes are merged into the stored ones (a
    secret left out is kept, ``null`` clears a value); the type cannot change."""
    return authenticators.update(ctx, authenticator_id, data, actor)


@router.delete(
    "/{authenticator_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_NOT_FOUND | _CONFLICT,
)
def delete_authenticator(
    authenticator_id: AuthenticatorId,
    actor: CurrentActor,
    ctx: Ctx,
    force: Annotated[bool, Query(description="Delete even if certificates use it")] = False,
) -> None:
    """Delete an authenticator; refused (409, naming them) while certificates use it."""
    authenticators.delete(ctx, authenticator_id, force, actor)


@router.post(
    "/{authenticator_id}/test",
    response_model=AuthenticatorTestOut,
    responses=_NOT_FOUND | problem_responses(502, "The authenticator's settings are unusable"),
)
def test_authenticator(
    authenticator_id: AuthenticatorId, data: AuthenticatorTestIn, actor: CurrentActor, ctx: Ctx
) -> AuthenticatorTestOut:
    """Write a random TXT record at ``_acme-challenge.<domain>``, wait until every nameserver
    shows it, and remove it. A DNS failure is reported in the body (``ok: false``, ``error``)."""
    return authenticators.test(ctx, authenticator_id, data, actor)
