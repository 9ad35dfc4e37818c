"""The registry: built-in and lexicon types by name, unknown names refused on ``type``, and the
schemas the UI, API and docs are built from (secrets write-only passwords, no $ref, no null)."""

from __future__ import annotations

import json

import pytest

from certdesk.dns.registry import authenticator_types, get_type, schemas
from certdesk.errors import InvalidInput


def test_types_are_sorted_and_cover_builtins_truenas_and_lexicon() -> None:
    types = authenticator_types()
    assert list(types) == sorted(types)
    for name in ("rfc2136", "shell", "acme-dns", "cloudflare", "route53", "digitalocean", "ovh"):
        assert name in types
    for name in ("powerdns", "hetzner", "gandi", "porkbun", "namecheap", "desec", "linode4"):
        assert name in types
    assert "auto" not in types
    assert len(types) > 80
    for name, cls in types.items():
        assert cls.type == name
        assert cls.title
        assert cls.propagation_timeout > 0


def test_unknown_type_is_invalid_input_on_type() -> None:
    with pytest.raises(InvalidInput) as caught:
        get_type("cloudflair")
    [error] = caught.value.errors
    assert error.field == "type"
    assert "Unknown authenticator type 'cloudflair'" in error.message


def test_schemas_mark_secrets_and_are_flat() -> None:
    all_schemas = schemas()
    assert [s.type for s in all_schemas] == list(authenticator_types())
    for item in all_schemas:
        text = json.dumps(item.schema)
        assert "$ref" not in text and '"null"' not in text, item.type
        assert item.schema["title"] == item.title
        cls = get_type(item.type)
        props = item.schema["properties"]
        for name, prop in props.items():
            secret = name in cls.secret_fields()
            assert (prop.get("writeOnly") is True) == secret, (item.type, name)
            assert (prop.get("format") == "password") == secret, (item.type, name)
            assert prop.get("description"), (item.type, name)
        assert set(item.schema["required"]) <= set(props)


def test_rfc2136_and_shell_schemas() -> None:
    by_type = {s.type: s.schema for s in schemas()}
    rfc = by_type["rfc2136"]
    assert rfc["required"] == ["server", "key_name", "key_secret"]
    assert rfc["properties"]["port"]["default"] == 53
    assert rfc["properties"]["key_algorithm"]["default"] == "hmac-sha256"
    assert "hmac-sha512" in rfc["properties"]["key_algorithm"]["enum"]
    shell = by_type["shell"]
    assert shell["required"] == ["script"]
    assert shell["properties"]["user"]["default"] == "nobody"
    assert shell["properties"]["timeout"]["default"] == 60
