"""DNS authenticator use cases: list the types and their schemas, create, show, update and delete
configured authenticators, run the Test action, and hand the issuance job a ready authenticator.

Attributes are validated by the type's own model (``certdesk.dns``) and stored encrypted as one
JSON document. Secrets never leave: outputs list which secrets are set. An update merges the
given attributes into the stored ones (left out: kept, ``null``: cleared), so a form that leaves
a secret empty keeps it; the type cannot change. Deleting an authenticator that a certificate
uses is refused unless forced, naming the certificates; a forced delete takes it out of their
domain maps. Create, update, delete and test are in the audit log, with attribute names but
never their values.
"""

from __future__ import annotations

import builtins
import unicodedata
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, SecretStr

from certdesk.crypto import names
from certdesk.dns import registry
from certdesk.dns.base import DEFAULT_PROPAGATION_TIMEOUT, Authenticator
from certdesk.dns.propagation import PropagationChecker, test_authenticator
from certdesk.errors import Conflict, DNSError, FieldError, InvalidInput
from certdesk.services import audit
from certdesk.services.authenticator_schemas import (
    AuthenticatorCreate,
    AuthenticatorOut,
    AuthenticatorSchemaOut,
    AuthenticatorTestIn,
    AuthenticatorTestOut,
    AuthenticatorUpdate,
    NameserverSeenOut,
)
from certdesk.services.context import Actor, AppContext
from certdesk.settings import Settings
from certdesk.storage.authenticators import AuthenticatorRecord, AuthenticatorRepository
from certdesk.storage.secrets import JSONValue

NAME_MAX_LENGTH = 64
OBJECT_KIND = "dns_authenticator"
TYPE_CHANGE_MESSAGE = "Authenticator type cannot be changed: create a new authenticator instead."


# -- types ---------------------------------------------------------------------------------


def schemas() -> list[AuthenticatorSchemaOut]:
    """Every authenticator type with the JSON Schema of its attributes, sorted by type."""
    return [
        AuthenticatorSchemaOut(type=s.type, title=s.title, schema=s.schema)
        for s in registry.schemas()
    ]


def propagation_timeout(settings: Settings, cls: builtins.type[Authenticator]) -> float:
    """Seconds a propagation check may take for ``cls``: the type's own timeout, scaled by
    ``CERTDESK_PROPAGATION_TIMEOUT`` (which is the timeout of a type that declares none)."""
    return cls.propagation_timeout * settings.propagation_timeout / DEFAULT_PROPAGATION_TIMEOUT


def propagation_checker(ctx: AppContext) -> PropagationChecker:
    """A checker over the configured resolvers and poll interval."""
    return PropagationChecker(
        resolvers=ctx.settings.dns_resolvers,
        interval=ctx.settings.propagation_interval,
        clock=ctx.clock,
    )


# -- reads ---------------------------------------------------------------------------------


def list_authenticators(ctx: AppContext) -> list[AuthenticatorOut]:
    """Every configured authenticator, by name."""
    with ctx.db.session() as session:
        repo = AuthenticatorRepository(session, ctx.box, ctx.clock)
        return [_out(record, repo.attributes(record.id)) for record in repo.list()]


def get(ctx: AppContext, authenticator_id: int) -> AuthenticatorOut:
    with ctx.db.session() as session:
        repo = AuthenticatorRepository(session, ctx.box, ctx.clock)
        record = repo.get(authenticator_id)
        return _out(record, repo.attributes(record.id))


def id_for_name(ctx: AppContext, name: str) -> int:
    """The id of the authenticator called ``name`` (for the CLI and ``--dns DOMAIN=NAME``)."""
    with ctx.db.session() as session:
        return AuthenticatorRepository(session, ctx.box, ctx.clock).get_by_name(name).id


def certificates_using(ctx: AppContext, authenticator_id: int) -> list[str]:
    """Names of the certificates that use this authenticator for a domain."""
    with ctx.db.session() as session:
        repo = AuthenticatorRepository(session, ctx.box, ctx.clock)
        repo.get(authenticator_id)
        return repo.certificates_using(authenticator_id)


# -- changes -------------------------------------------------------------------------------


def create(ctx: AppContext, data: AuthenticatorCreate, actor: Actor) -> AuthenticatorOut:
    """Store a new authenticator; every problem with the name, type and attributes at once."""
    name = data.name.strip()
    errors = check_name(name)
    cls: builtins.type[Authenticator] | None = None
    try:
        cls = registry.get_type(data.type.strip())
    except InvalidInput as exc:
        errors.extend(exc.errors)
    model: BaseModel | None = None
    if cls is not None:
        try:
            model = cls.validate_attributes(data.attributes)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors or cls is None or model is None:
        raise InvalidInput(errors)
    stored = stored_values(cls, model)
    with ctx.db.session() as session:
        repo = AuthenticatorRepository(session, ctx.box, ctx.clock)
        record = repo.add(name, cls.type, stored)
        audit.record(
            ctx,
            actor,
            "authenticator.create",
            object_kind=OBJECT_KIND,
            object_id=record.id,
            object_name=name,
            detail={"type": cls.type, "attributes": sorted(data.attributes)},
            session=session,
        )
        return _out(record, stored)


def update(
    ctx: AppContext, authenticator_id: int, data: AuthenticatorUpdate, actor: Actor
) -> AuthenticatorOut:
    """Rename and/or change attributes (merged into the stored ones); the type stays."""
    with ctx.db.session() as session:
        repo = AuthenticatorRepository(session, ctx.box, ctx.clock)
        record = repo.get(authenticator_id)
        old_name = record.name
        errors: list[FieldError] = []
        name = data.name.strip() if data.name is not None else None
        if name is not None:
            errors.extend(check_name(name))
        if data.type is not None and data.type.strip().lower() != record.type:
            errors.append(FieldError("type", TYPE_CHANGE_MESSAGE))
        cls = registry.get_type(record.type)
        stored = repo.attributes(record.id)
        new_values: dict[str, JSONValue] | None = None
        if data.attributes is not None:
            merged = _merge(cls, _known(cls, stored), data.attributes)
            try:
                model = cls.validate_attributes(merged)
            except InvalidInput as exc:
                errors.extend(exc.errors)
            else:
                new_values = stored_values(cls, model)
        if errors:
            raise InvalidInput(errors)
        record = repo.update(authenticator_id, name=name, attributes=new_values)
        detail: dict[str, object] = {"attributes": sorted(data.attributes or {})}
        if record.name != old_name:
            detail["old_name"] = old_name
        audit.record(
            ctx,
            actor,
            "authenticator.update",
            object_kind=OBJECT_KIND,
            object_id=record.id,
            object_name=record.name,
            detail=detail,
            session=session,
        )
        return _out(record, new_values if new_values is not None else stored)


def delete(ctx: AppContext, authenticator_id: int, force: bool, actor: Actor) -> None:
    """Delete an authenticator. While certificates use it, that is refused unless ``force``;
    then it is taken out of their domain maps (as TrueNAS does), so their renewals ask for
    another authenticator rather than ever using a later one that gets the same id."""
    with ctx.db.session() as session:
        repo = AuthenticatorRepository(session, ctx.box, ctx.clock)
        record = repo.get(authenticator_id)
        users = repo.certificates_using(authenticator_id)
        if users and not force:
            raise Conflict(
                f"DNS authenticator '{record.name}' is used by the certificate(s) "
                f"{', '.join(users)}. Give them another authenticator first, or use Force to "
                "delete it anyway (their renewals will fail until they get one)."
            )
        repo.forget_in_certificates(authenticator_id)
        repo.delete(authenticator_id)
        audit.record(
            ctx,
            actor,
            "authenticator.delete",
            object_kind=OBJECT_KIND,
            object_id=authenticator_id,
            object_name=record.name,
            detail={"type": record.type, "force": force, "certificates": users},
            session=session,
        )


# -- use -----------------------------------------------------------------------------------


def load_authenticator(ctx: AppContext, authenticator_id: int) -> Authenticator:
    """The stored authenticator, decrypted and ready to write records (for the issuance job).

    ``NotFound`` when it was deleted; ``DNSError`` naming it when its stored attributes no
    longer pass its type's checks (a shell script removed, a lexicon option renamed)."""
    return _load(ctx, authenticator_id)[1]


def _load(ctx: AppContext, authenticator_id: int) -> tuple[AuthenticatorRecord, Authenticator]:
    with ctx.db.session() as session:
        repo = AuthenticatorRepository(session, ctx.box, ctx.clock)
        record = repo.get(authenticator_id)
        stored = repo.attributes(record.id)
    return record, _instantiate(record, stored)


def test(
    ctx: AppContext, authenticator_id: int, data: AuthenticatorTestIn, actor: Actor
) -> AuthenticatorTestOut:
    """Write a random TXT record at ``_acme-challenge.<domain>``, wait until every nameserver
    shows it, remove it, and report how long that took and what each nameserver saw."""
    try:
        domain = names.check_dns_name(data.domain)
    except ValueError as exc:
        raise InvalidInput.single("domain", str(exc)) from None
    record, auth = _load(ctx, authenticator_id)
    result = test_authenticator(
        auth, domain, propagation_checker(ctx), propagation_timeout(ctx.settings, type(auth))
    )
    audit.record(
        ctx,
        actor,
        "authenticator.test",
        object_kind=OBJECT_KIND,
        object_id=authenticator_id,
        object_name=record.name,
        detail={"domain": domain, "ok": result.ok},
    )
    return AuthenticatorTestOut(
        ok=result.ok,
        seconds=round(result.seconds, 3),
        nameservers=[NameserverSeenOut(address=n.address, seen=n.seen) for n in result.nameservers],
        error=result.error,
    )


test.__test__ = False  # type: ignore[attr-defined]


# -- helpers -------------------------------------------------------------------------------


def check_name(name: str, field: str = "name") -> list[FieldError]:
    """Errors for an authenticator name: 1 to 64 characters, no control characters."""
    if not name:
        return [FieldError(field, "Name is required: give the authenticator a name.")]
    errors = []
    if len(name) > NAME_MAX_LENGTH:
        errors.append(FieldError(field, f"Name can be at most {NAME_MAX_LENGTH} characters long."))
    if any(unicodedata.category(c).startswith("C") for c in name):
        errors.append(FieldError(field, "Name cannot contain control characters or line breaks."))
    return errors


def stored_values(cls: builtins.type[Authenticator], model: BaseModel) -> dict[str, JSONValue]:
    """The attributes as JSON values, secrets in clear: what is sealed in the database."""
    values: dict[str, JSONValue] = model.model_dump(mode="json")
    for name in cls.secret_fields():
        secret = getattr(model, name, None)
        values[name] = secret.get_secret_value() if isinstance(secret, SecretStr) else None
    return values


def _known(cls: builtins.type[Authenticator], stored: Mapping[str, JSONValue]) -> dict[str, Any]:
    """Stored values of attributes the type still has (a lexicon upgrade may drop an option)."""
    fields = cls.Attributes.model_fields
    return {key: value for key, value in stored.items() if key in fields}


def _merge(
    cls: builtins.type[Authenticator], stored: dict[str, Any], given: Mapping[str, Any]
) -> dict[str, Any]:
    """``given`` over ``stored``; ``null`` for an attribute with a default restores the default."""
    fields = cls.Attributes.model_fields
    merged = dict(stored)
    for key, value in given.items():
        if value is None and key in fields and not fields[key].is_required():
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _instantiate(record: AuthenticatorRecord, stored: Mapping[str, JSONValue]) -> Authenticator:
    try:
        cls = registry.get_type(record.type)
        model = cls.validate_attributes(_known(cls, stored))
    except InvalidInput as exc:
        problems = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        raise DNSError(
            f"DNS authenticator '{record.name}' cannot be used: {problems} Edit it and save it "
            "again."
        ) from None
    return cls(model)


def _out(record: AuthenticatorRecord, stored: Mapping[str, JSONValue]) -> AuthenticatorOut:
    try:
        cls: builtins.type[Authenticator] | None = registry.get_type(record.type)
    except InvalidInput:
        cls = None  # a lexicon provider that a newer release dropped
    secret_names = cls.secret_fields() if cls is not None else frozenset()
    # Without the type, nothing tells which attributes are secrets: show none of them.
    known = _known(cls, stored) if cls is not None else {}
    return AuthenticatorOut(
        id=record.id,
        name=record.name,
        type=record.type,
        type_title=cls.title if cls is not None else record.type,
        attributes={k: v for k, v in known.items() if k not in secret_names},
        secrets_set=sorted(k for k in secret_names if stored.get(k)),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
