"""The registry of authenticator types: built-in ones plus every lexicon provider, by type name.

``authenticator_types()`` is what services look types up in, ``schemas()`` what the API's
``GET /acme/authenticators/schemas``, the web form and ``docs/authenticators.md`` are built from:
the JSON Schema of each type's ``Attributes`` with ``$ref``s inlined, optional values shown as
their type (not ``anyOf`` with null), secrets marked ``writeOnly`` and ``format: password``, and
``required`` listing what must be given.
"""

from __future__ import annotations

import builtins
import difflib
from dataclasses import dataclass
from functools import cache
from typing import Any

from certdesk.dns.acmedns import ACMEDNSAuthenticator
from certdesk.dns.base import Authenticator
from certdesk.dns.lexicon_providers import lexicon_authenticators
from certdesk.dns.lexicon_truenas import TRUENAS_TYPES
from certdesk.dns.rfc2136 import RFC2136Authenticator
from certdesk.dns.shell import ShellAuthenticator
from certdesk.errors import InvalidInput

BUILT_IN: tuple[builtins.type[Authenticator], ...] = (
    RFC2136Authenticator,
    ShellAuthenticator,
    ACMEDNSAuthenticator,
)


@dataclass(frozen=True)
class AuthenticatorSchema:
    """One type for the UI, the API and the docs."""

    type: str
    title: str
    schema: dict[str, Any]


@cache
def _types() -> dict[str, builtins.type[Authenticator]]:
    found: dict[str, builtins.type[Authenticator]] = {cls.type: cls for cls in BUILT_IN}
    for name, cls in lexicon_authenticators(TRUENAS_TYPES).items():
        found.setdefault(name, cls)
    return dict(sorted(found.items()))


def authenticator_types() -> dict[str, builtins.type[Authenticator]]:
    """Every authenticator type by name, sorted by name."""
    return dict(_types())


def get_type(name: str) -> builtins.type[Authenticator]:
    """The type called ``name`` (in any case); InvalidInput on ``type`` when there is none."""
    types = _types()
    try:
        return types[name.strip().lower()]  # TrueNAS spells one type "OVH"
    except KeyError:
        wanted = name.strip().lower()
        close = [t for t in types if wanted and (wanted in t or t in wanted)]
        close += [t for t in difflib.get_close_matches(wanted, types, n=5) if t not in close]
        close = close[:5]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise InvalidInput.single(
            "type",
            f"Unknown authenticator type {name!r}: see GET /acme/authenticators/schemas.{hint}",
        ) from None


def schema_of(cls: builtins.type[Authenticator]) -> dict[str, Any]:
    """The JSON Schema of ``cls.Attributes``, flattened for forms and docs."""
    raw = cls.Attributes.model_json_schema()
    defs = raw.pop("$defs", {})
    schema = _inline(raw, defs)
    for prop in schema.get("properties", {}).values():
        _flatten_optional(prop)
    schema["title"] = cls.title
    schema.setdefault("required", [])
    return schema


@cache
def _schemas() -> tuple[AuthenticatorSchema, ...]:
    return tuple(
        AuthenticatorSchema(name, cls.title, schema_of(cls)) for name, cls in _types().items()
    )


def schemas() -> list[AuthenticatorSchema]:
    """Every type's schema, sorted by type name."""
    return list(_schemas())


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = dict(defs[ref.removeprefix("#/$defs/")])
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return _inline(merged, defs)
        return {key: _inline(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


def _flatten_optional(prop: dict[str, Any]) -> None:
    """``anyOf: [X, {type: null}]`` becomes X's keys on the property itself."""
    options = prop.get("anyOf")
    if not isinstance(options, list):
        return
    non_null = [o for o in options if o.get("type") != "null"]
    if len(non_null) == 1 and len(options) == 2:
        del prop["anyOf"]
        for key, value in non_null[0].items():
            prop.setdefault(key, value)
