"""Pydantic models at the boundary of the DNS authenticator use cases: what the API, the web UI
and the CLI send in and get back. ``attributes`` are free-form here because each type declares
its own (``certdesk.dns`` validates them against the type's model); an output model never carries
a secret attribute, only the names of the secrets that are set."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

NameStr = Annotated[str, StringConstraints(max_length=1024)]
#: Attribute values as JSON gives them; the type's model says what each must be.
Attributes = Annotated[dict[Annotated[str, StringConstraints(max_length=200)], Any], Field()]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuthenticatorCreate(_In):
    """A new authenticator: a unique name, a type from ``GET /acme/authenticators/schemas``
    and that type's attributes."""

    name: NameStr
    type: NameStr
    attributes: Attributes = Field(default_factory=dict)


class AuthenticatorUpdate(_In):
    """Changes to an authenticator. ``attributes`` are merged into the stored ones: an attribute
    left out keeps its value (so does a secret), one given as ``null`` is cleared (back to its
    default, if it has one). The type
    cannot change; giving the current one is allowed."""

    name: NameStr | None = None
    type: NameStr | None = None
    attributes: Attributes | None = None


class AuthenticatorOut(BaseModel):
    """An authenticator as shown: its attributes without the secrets, and which secrets are set."""

    id: int
    name: str
    type: str
    type_title: str
    attributes: dict[str, Any]
    secrets_set: list[str]
    created_at: datetime
    updated_at: datetime


class AuthenticatorSchemaOut(BaseModel):
    """One authenticator type: its name, title and the JSON Schema of its attributes."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    type: str
    title: str
    schema_: dict[str, Any] = Field(alias="schema")


class AuthenticatorTestIn(_In):
    """The domain whose ``_acme-challenge`` name the test writes a random TXT record at."""

    domain: NameStr


class NameserverSeenOut(BaseModel):
    """Whether one nameserver showed the test record before the timeout."""

    address: str
    seen: bool


class AuthenticatorTestOut(BaseModel):
    """The Test action's report: ``ok`` when the record appeared on every nameserver and was
    removed again; ``seconds`` for the whole cycle; ``error`` says what failed."""

    ok: bool
    seconds: float
    nameservers: list[NameserverSeenOut]
    error: str | None
