"""The DNS authenticator form, built from the type's JSON Schema (``GET
/acme/authenticators/schemas``): one control per attribute — a password input for a secret
(empty on edit: "leave empty to keep"), a checkbox for a boolean, a number input for a number, a
select for a choice, a text input otherwise — labelled by the schema's title, with its
description as help text. Field names are the API's paths (``attributes.key_secret``), so a
service error lands beside its control. Secrets typed into a rejected form are never sent back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.datastructures import FormData

from certdesk.errors import FieldError

PREFIX = "attributes."
KEEP_HINT = "Leave empty to keep the current value."
Kind = Literal["text", "number", "password", "checkbox", "select"]


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    """One attribute's control."""

    key: str
    label: str
    kind: Kind
    required: bool
    hint: str
    value: str = ""
    checked: bool = False
    options: tuple[Option, ...] = ()
    #: A secret that is stored already (edit form): empty means keep it.
    secret_set: bool = False

    @property
    def name(self) -> str:
        return PREFIX + self.key


@dataclass
class FormErrors:
    """Field errors by form field name, and those that belong to no field."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def get(self, name: str) -> list[str] | None:
        return self.by_field.get(name)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)


def place_errors(errors: Iterable[FieldError], field_names: Iterable[str]) -> FormErrors:
    """Errors beside the fields they name; the rest (``attributes``, ``""``) on top."""
    known = set(field_names)
    placed = FormErrors()
    for error in errors:
        if error.field in known:
            placed.by_field.setdefault(error.field, []).append(error.message)
        else:
            where = f"{error.field}: " if error.field and error.field != "attributes" else ""
            placed.general.append(where + error.message)
    return placed


def _kind(prop: Mapping[str, Any]) -> Kind:
    if prop.get("writeOnly") or prop.get("format") == "password":
        return "password"
    if "enum" in prop:
        return "select"
    kind = prop.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind in {"integer", "number"}:
        return "number"
    return "text"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def form_fields(
    schema: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    secrets_set: Iterable[str] = (),
    editing: bool = False,
) -> list[FormField]:
    """The controls of one type, filled with ``values`` (defaults for a new authenticator)."""
    required = set(schema.get("required", []))
    stored_secrets = set(secrets_set)
    out: list[FormField] = []
    for key, prop in schema.get("properties", {}).items():
        kind = _kind(prop)
        value = values[key] if key in values else (None if editing else prop.get("default"))
        secret_set = kind == "password" and key in stored_secrets
        hint = str(prop.get("description", ""))
        if secret_set:
            hint = f"{hint} {KEEP_HINT}".strip()
        options: tuple[Option, ...] = ()
        if kind == "select":
            options = tuple(Option(str(v), str(v)) for v in prop["enum"])
        out.append(
            FormField(
                key=key,
                label=str(prop.get("title") or key),
                kind=kind,
                required=key in required and not secret_set,
                hint=hint,
                value="" if kind == "password" else _text(value),
                checked=value is True,
                options=options,
                secret_set=secret_set,
            )
        )
    return out


def typed_values(schema: Mapping[str, Any], form: FormData) -> dict[str, Any]:
    """What the user typed, to fill the form again after an error (secrets left out)."""
    values: dict[str, Any] = {}
    for key, prop in schema.get("properties", {}).items():
        kind = _kind(prop)
        if kind == "password":
            continue
        if kind == "checkbox":
            values[key] = form.get(PREFIX + key) is not None
        else:
            raw = form.get(PREFIX + key)
            values[key] = raw if isinstance(raw, str) else ""
    return values


def attributes_from_form(
    schema: Mapping[str, Any], form: FormData, *, editing: bool
) -> dict[str, Any]:
    """The attributes to send to the service.

    An empty secret is left out (a new authenticator has none; an edited one keeps its own). An
    empty other field is left out of a new authenticator (its default applies) and sent as
    ``null`` for an edited one (cleared, or back to its default)."""
    attributes: dict[str, Any] = {}
    for key, prop in schema.get("properties", {}).items():
        kind = _kind(prop)
        raw = form.get(PREFIX + key)
        if kind == "checkbox":
            attributes[key] = raw is not None
            continue
        text = raw.strip() if isinstance(raw, str) else ""
        if kind == "password":
            if raw:
                attributes[key] = raw
            continue
        if text:
            attributes[key] = text
        elif editing:
            attributes[key] = None
    return attributes
