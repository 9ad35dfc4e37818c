"""The authenticator form built from real type schemas: which control each attribute gets, what a
submitted form becomes (empty secrets left out, empty fields cleared on edit), and where errors
go."""

from __future__ import annotations

from starlette.datastructures import FormData

from certdesk.dns.registry import get_type, schema_of
from certdesk.errors import FieldError
from certdesk.web.authenticator_form import (
    KEEP_HINT,
    attributes_from_form,
    form_fields,
    place_errors,
    typed_values,
)

RFC2136 = schema_of(get_type("rfc2136"))
SHELL = schema_of(get_type("shell"))


def test_controls_follow_the_schema() -> None:
    fields = {f.key: f for f in form_fields(RFC2136, {})}
    assert [f.key for f in fields.values()] == [
        "server",
        "port",
        "key_name",
        "key_secret",
        "key_algorithm",
        "zone",
    ]
    assert fields["key_secret"].kind == "password" and fields["key_secret"].required
    assert fields["port"].kind == "number" and fields["port"].value == "53"
    assert fields["key_algorithm"].kind == "select"
    assert "hmac-sha256" in [o.value for o in fields["key_algorithm"].options]
    assert fields["key_algorithm"].value == "hmac-sha256"
    assert fields["server"].required and not fields["zone"].required
    assert fields["server"].label == "Server" and fields["server"].name == "attributes.server"
    assert "TSIG" in fields["key_name"].hint


def test_booleans_are_checkboxes() -> None:
    fields = {f.key: f for f in form_fields(schema_of(get_type("namecheap")), {})}
    assert fields["auth_sandbox"].kind == "checkbox"
    assert not fields["auth_sandbox"].checked


def test_a_stored_secret_is_empty_not_required_and_says_it_is_kept() -> None:
    fields = {
        f.key: f
        for f in form_fields(
            RFC2136, {"server": "ns1", "port": 5353}, secrets_set=["key_secret"], editing=True
        )
    }
    secret = fields["key_secret"]
    assert secret.value == "" and secret.secret_set and not secret.required
    assert secret.hint.endswith(KEEP_HINT)
    assert fields["port"].value == "5353"
    assert fields["zone"].value == ""


def test_new_form_leaves_out_empty_values_and_edit_clears_them() -> None:
    form = FormData(
        [
            ("attributes.server", " ns1.example.com "),
            ("attributes.port", ""),
            ("attributes.key_name", "k"),
            ("attributes.key_secret", ""),
            ("attributes.key_algorithm", "hmac-sha512"),
            ("attributes.zone", ""),
        ]
    )
    assert attributes_from_form(RFC2136, form, editing=False) == {
        "server": "ns1.example.com",
        "key_name": "k",
        "key_algorithm": "hmac-sha512",
    }
    assert attributes_from_form(RFC2136, form, editing=True) == {
        "server": "ns1.example.com",
        "port": None,
        "key_name": "k",
        "key_algorithm": "hmac-sha512",
        "zone": None,
    }
    typed = typed_values(RFC2136, FormData([*form.multi_items(), ("x", "y")]))
    assert "key_secret" not in typed and typed["server"] == " ns1.example.com "


def test_a_typed_secret_is_sent_as_typed() -> None:
    form = FormData([("attributes.key_secret", "c2VjcmV0")])
    assert attributes_from_form(RFC2136, form, editing=True)["key_secret"] == "c2VjcmV0"
    shell = attributes_from_form(SHELL, FormData([("attributes.script", "/x")]), editing=False)
    assert shell == {"script": "/x"}


def test_errors_go_beside_their_fields_or_on_top() -> None:
    placed = place_errors(
        [
            FieldError("attributes.port", "Must be a whole number."),
            FieldError("attributes", "The gransy provider needs the Python package(s) zeep."),
            FieldError("name", "Name is required."),
            FieldError("attributes.gone", "Unknown attribute: remove it."),
        ],
        ["name", "attributes.port"],
    )
    assert placed.get("attributes.port") == ["Must be a whole number."]
    assert placed.get("name") == ["Name is required."]
    assert placed.general == [
        "The gransy provider needs the Python package(s) zeep.",
        "attributes.gone: Unknown attribute: remove it.",
    ]
    assert placed
