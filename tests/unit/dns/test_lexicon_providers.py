"""Lexicon providers as types: options read from lexicon's own parsers, secrets recognised,
missing extra packages named, and TrueNAS's attribute names and rules for the four it had."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from certdesk.dns.lexicon_providers import (
    is_secret_option,
    missing_packages,
    provider_options,
)
from certdesk.dns.lexicon_truenas import OVHEndpoint
from certdesk.dns.registry import get_type
from certdesk.errors import InvalidInput


def _errors(type_name: str, data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        get_type(type_name).validate_attributes(data)
    return {e.field: e.message for e in caught.value.errors}


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("auth_token", True),
        ("auth_password", True),
        ("auth_api_key", True),
        ("auth_secret", True),
        ("auth_psw", True),
        ("auth_2fa", True),
        ("auth_username", False),
        ("pdns_server", False),
        ("zone_id", False),
        ("auth_region", False),
    ],
)
def test_secret_options_are_recognised_by_name(name: str, secret: bool) -> None:
    assert is_secret_option(name) is secret


def test_powerdns_keeps_lexicons_option_names() -> None:
    assert [o.name for o in provider_options("powerdns")] == [
        "auth_token",
        "pdns_server",
        "pdns_server_id",
        "pdns_disable_notify",
    ]
    cls = get_type("powerdns")
    assert cls.secret_fields() == {"auth_token"}
    attributes = cls.validate_attributes(
        {"auth_token": "t0ken", "pdns_server": "http://127.0.0.1:8081", "zone": "Lexicon.Test."}
    )
    auth = cls(attributes)
    assert auth.lexicon_options() == {"auth_token": "t0ken", "pdns_server": "http://127.0.0.1:8081"}
    assert auth.zone() == "lexicon.test"


def test_choices_become_an_enum_and_flags_booleans() -> None:
    errors = _errors("zonomi", {"auth_entrypoint": "elsewhere"})
    assert "'zonomi'" in errors["attributes.auth_entrypoint"]
    namecheap = get_type("namecheap").validate_attributes({"auth_sandbox": True})
    assert namecheap.auth_sandbox is True  # type: ignore[attr-defined]


def test_a_provider_with_missing_packages_says_which() -> None:
    # gransy needs zeep, which certdesk does not install; route53's boto3 comes with certdesk.
    assert missing_packages("gransy") == ("zeep",)
    assert missing_packages("route53") == ()
    assert missing_packages("powerdns") == ()
    errors = _errors("gransy", {"auth_username": "u", "auth_password": "p"})
    assert errors == {
        "attributes": "The gransy provider needs the Python package(s) zeep: install them "
        "with pip install 'dns-lexicon[gransy]'."
    }
    cls = get_type("route53")
    cls.validate_attributes({"access_key_id": "AKIA", "secret_access_key": "s"})


def test_route53_keeps_truenas_names() -> None:
    errors = _errors("route53", {})
    assert errors["attributes.access_key_id"] == "Attribute is required."
    assert errors["attributes.secret_access_key"] == "Attribute is required."
    assert get_type("route53").secret_fields() == {"secret_access_key"}


def test_digitalocean_maps_its_token() -> None:
    cls = get_type("digitalocean")
    auth = cls(cls.validate_attributes({"digitalocean_token": "dop_v1_x"}))
    assert auth.lexicon_options() == {"auth_token": "dop_v1_x"}  # type: ignore[attr-defined]
    assert _errors("digitalocean", {}) == {
        "attributes.digitalocean_token": "Attribute is required."
    }


def test_ovh_endpoints_are_lexicons_and_options_map() -> None:
    [entrypoint] = [o for o in provider_options("ovh") if o.name == "auth_entrypoint"]
    assert entrypoint.choices == OVHEndpoint.__args__
    cls = get_type("ovh")
    auth = cls(
        cls.validate_attributes(
            {
                "application_key": "ak",
                "application_secret": "as",
                "consumer_key": "ck",
                "endpoint": "ovh-ca",
            }
        )
    )
    assert auth.lexicon_options() == {  # type: ignore[attr-defined]
        "auth_entrypoint": "ovh-ca",
        "auth_application_key": "ak",
        "auth_application_secret": "as",
        "auth_consumer_key": "ck",
    }
    assert "ovh-eu" in _errors("ovh", {"endpoint": "ovh-mars"})["attributes.endpoint"]


class TestCloudflareRules:
    def test_token_alone_is_valid_and_maps_to_auth_token(self) -> None:
        cls = get_type("cloudflare")
        auth = cls(cls.validate_attributes({"api_token": "tok"}))
        assert auth.lexicon_options() == {"auth_token": "tok"}  # type: ignore[attr-defined]

    def test_email_and_global_key_map_to_username_and_token(self) -> None:
        cls = get_type("cloudflare")
        auth = cls(cls.validate_attributes({"cloudflare_email": "a@b.c", "api_key": "gk"}))
        assert auth.lexicon_options() == {"auth_username": "a@b.c", "auth_token": "gk"}  # type: ignore[attr-defined]

    def test_token_with_email_and_key(self) -> None:
        errors = _errors(
            "cloudflare", {"api_token": "t", "cloudflare_email": "a@b.c", "api_key": "k"}
        )
        assert errors == {
            "attributes.cloudflare_email": 'Should not be specified when using "api_token".',
            "attributes.api_key": 'Should not be specified when using "api_token".',
        }

    def test_email_without_key(self) -> None:
        assert _errors("cloudflare", {"cloudflare_email": "a@b.c"}) == {
            "attributes.api_key": "Attribute is required when using a Global API Key."
        }

    def test_key_without_email(self) -> None:
        assert _errors("cloudflare", {"api_key": "k"}) == {
            "attributes.cloudflare_email": "Attribute is required when using a Global API Key "
            "(should be associated with Cloudflare account)."
        }

    def test_nothing(self) -> None:
        assert _errors("cloudflare", {}) == {
            "attributes.api_token": "Attribute must be specified when Global API Key is not "
            "specified."
        }

    def test_secrets_are_secret(self) -> None:
        cls = get_type("cloudflare")
        assert cls.secret_fields() == {"api_key", "api_token"}
        assert isinstance(cls.validate_attributes({"api_token": "t"}).api_token, SecretStr)  # type: ignore[attr-defined]
