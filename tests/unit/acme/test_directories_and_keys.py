"""Directory presets, directory URI rules and account keys (no sockets)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from certdesk.acme.account import AccountKey
from certdesk.acme.directories import (
    LETS_ENCRYPT_PRODUCTION,
    LETS_ENCRYPT_STAGING,
    PRESETS,
    check_directory_uri,
)
from certdesk.errors import CryptoError


def test_presets_are_labelled_as_the_product_document_writes_them() -> None:
    assert [(p.label, p.url) for p in PRESETS] == [
        ("Lets Encrypt Staging Directory", LETS_ENCRYPT_STAGING),
        ("Let's Encrypt Production Directory", LETS_ENCRYPT_PRODUCTION),
    ]
    assert LETS_ENCRYPT_STAGING == "https://acme-staging-v02.api.letsencrypt.org/directory"
    assert LETS_ENCRYPT_PRODUCTION == "https://acme-v02.api.letsencrypt.org/directory"


@pytest.mark.parametrize(
    "uri",
    [
        LETS_ENCRYPT_STAGING,
        "https://acme.zerossl.com/v2/DV90",
        "https://127.0.0.1:14000/dir",
        "HTTPS://ca.example:8443/acme/acme/directory",
    ],
)
def test_usable_directory_uris_pass(uri: str) -> None:
    assert check_directory_uri(uri) == []


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("", "Give the URL"),
        ("http://ca.example/dir", "must start with https://"),
        ("ftp://ca.example/dir", "must start with https://"),
        ("https:///dir", "no host name"),
        ("https://ca.example/dir#x", "#fragment"),
        ("https://ca.example:99999/dir", "not a valid URL"),
        ("https://ca .example/dir", "must not contain spaces"),
        ("ca.example/directory", "must start with https://"),
    ],
)
def test_unusable_directory_uris_say_what_to_fix(uri: str, expected: str) -> None:
    errors = check_directory_uri(uri)
    assert errors
    assert all(error.field == "acme_directory_uri" for error in errors)
    assert any(expected in error.message for error in errors)


def test_credentials_in_the_uri_are_refused_without_echoing_them() -> None:
    errors = check_directory_uri("https://admin:hunter2@ca.example/dir", field="directory")
    assert [error.field for error in errors] == ["directory"]
    assert "user name and password" in errors[0].message
    assert "hunter2" not in errors[0].message


@pytest.mark.parametrize(("key_type", "alg"), [("EC", "ES256"), ("RSA", "RS256")])
def test_generated_keys_sign_with_the_matching_algorithm(key_type: str, alg: str) -> None:
    key = AccountKey.generate(key_type)  # type: ignore[arg-type]
    assert key.algorithm.name == alg
    assert key.pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert AccountKey(key.pem).thumbprint == key.thumbprint
    assert len(key.thumbprint) == 43


def test_repr_shows_no_key_material() -> None:
    key = AccountKey.generate()
    assert repr(key) == "AccountKey()"
    assert key.pem.decode() not in str(key)


def test_p384_keys_sign_with_es384() -> None:
    pem = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert AccountKey(pem).algorithm.name == "ES384"


@pytest.mark.parametrize(
    ("private", "expected"),
    [
        (lambda: ec.generate_private_key(ec.SECP521R1()), "use P-256 or P-384"),
        (lambda: rsa.generate_private_key(65537, 1024), "at least 2048"),
    ],
)
def test_weak_or_unsupported_keys_are_refused(private, expected: str) -> None:  # type: ignore[no-untyped-def]
    pem = private().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(CryptoError, match=expected):
        AccountKey(pem)


def test_unreadable_key_is_a_crypto_error() -> None:
    with pytest.raises(CryptoError, match="could not be read"):
        AccountKey(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")


def test_unknown_key_type_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'EC' or 'RSA'"):
        AccountKey.generate("DSA")  # type: ignore[arg-type]
