"""The authenticator base: challenge record names, attribute validation into field errors,
and dumping attributes with or without secrets."""

from __future__ import annotations

import pytest

from certdesk.dns.base import TXTRecord
from certdesk.dns.rfc2136 import RFC2136Attributes, RFC2136Authenticator
from certdesk.dns.shell import ShellAuthenticator
from certdesk.errors import InvalidInput


def _errors(cls: type, data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        cls.validate_attributes(data)
    return {e.field: e.message for e in caught.value.errors}


@pytest.mark.parametrize(
    ("domain", "bare"),
    [
        ("www.example.com", "www.example.com"),
        ("*.example.com", "example.com"),
        ("Example.COM.", "example.com"),
    ],
)
def test_record_for_domain(domain: str, bare: str) -> None:
    record = TXTRecord.for_domain(domain, "v")
    assert record == TXTRecord(bare, f"_acme-challenge.{bare}.", "v")


def test_every_error_is_reported_at_once_with_attribute_paths() -> None:
    errors = _errors(
        RFC2136Authenticator,
        {"server": "not a host!", "port": 70000, "key_secret": "%%%", "colour": "blue"},
    )
    assert set(errors) == {
        "attributes.server",
        "attributes.port",
        "attributes.key_name",
        "attributes.key_secret",
        "attributes.colour",
    }
    assert errors["attributes.key_name"] == "Attribute is required."
    assert errors["attributes.colour"] == "Unknown attribute: remove it."
    assert "host name or an IP address" in errors["attributes.server"]
    assert "base64" in errors["attributes.key_secret"]


def test_error_messages_never_echo_a_secret() -> None:
    errors = _errors(
        RFC2136Authenticator, {"server": "ns1", "key_name": "k", "key_secret": "s3cr3t!"}
    )
    assert all("s3cr3t" not in m for m in errors.values())


def test_algorithm_must_be_one_dnspython_knows() -> None:
    errors = _errors(
        RFC2136Authenticator,
        {
            "server": "192.0.2.1",
            "key_name": "k",
            "key_secret": "c2VjcmV0",
            "key_algorithm": "rot13",
        },
    )
    assert errors["attributes.key_algorithm"].startswith("Must be one of 'hmac-md5")


def test_valid_rfc2136_attributes_are_normalised() -> None:
    attributes = RFC2136Authenticator.validate_attributes(
        {
            "server": "ns1.example.com",
            "key_name": "certdesk",
            "key_secret": "c2VjcmV0",
            "zone": "Example.com",
        }
    )
    assert isinstance(attributes, RFC2136Attributes)
    assert attributes.port == 53
    assert attributes.key_algorithm == "hmac-sha256"
    assert attributes.key_name == "certdesk."
    assert attributes.zone == "Example.com."


def test_dump_attributes_with_and_without_secrets() -> None:
    attributes = RFC2136Authenticator.validate_attributes(
        {"server": "192.0.2.1", "key_name": "k.", "key_secret": "c2VjcmV0"}
    )
    assert RFC2136Authenticator.secret_fields() == {"key_secret"}
    public = RFC2136Authenticator.dump_attributes(attributes, reveal_secrets=False)
    stored = RFC2136Authenticator.dump_attributes(attributes, reveal_secrets=True)
    assert "key_secret" not in public
    assert stored["key_secret"] == "c2VjcmV0"
    assert RFC2136Authenticator.validate_attributes(stored) == attributes


def test_an_authenticator_refuses_another_types_attributes() -> None:
    attributes = RFC2136Authenticator.validate_attributes(
        {"server": "192.0.2.1", "key_name": "k.", "key_secret": "c2VjcmV0"}
    )
    with pytest.raises(TypeError, match="ShellAttributes"):
        ShellAuthenticator(attributes)
