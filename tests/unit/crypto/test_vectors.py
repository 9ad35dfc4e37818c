"""Fixed vectors made once by OpenSSL (origin and commands in tests/vectors/csr/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from certdesk.crypto.csr import check_key_matches, load_csr
from certdesk.crypto.details import csr_details, domain_labels
from certdesk.crypto.keys import KeyInfo, key_description, load_private_key
from certdesk.crypto.lint import lint_for_public_ca
from certdesk.errors import InvalidInput

VECTORS = Path(__file__).parents[2] / "vectors" / "csr"
PASSPHRASE = b"certdesk-vector"


def vector(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


def test_truenas_bare_ipv6_csr() -> None:
    csr = load_csr(vector("truenas-bare-ipv6.csr"))
    check_key_matches(load_private_key(vector("truenas-bare-ipv6.key"), None), csr)
    details = csr_details(csr)
    assert details.san == ("DNS:nas.example.com", "DNS:db8::1")
    assert domain_labels(details) == ("nas.example.com",)
    problems = lint_for_public_ca(csr)
    assert len(problems) == 1
    assert problems[0].startswith("Subject Alternate Name DNS:db8::1: 'db8::1' is not a valid")


def test_rsa_legacy_key_and_der_csr() -> None:
    key = load_private_key(vector("rsa2048-legacy-aes256.key"), PASSPHRASE)
    assert key_description(key) == KeyInfo("RSA", 2048, None)
    csr = load_csr(vector("rsa2048-sha384.csr.der"))
    check_key_matches(key, csr)
    details = csr_details(csr)
    assert details.DN == (
        "/C=DE/ST=Bayern/L=Muenchen/O=Vector Org/OU=QA/CN=vector.example.com"
        "/emailAddress=qa@vector.example.com"
        "/subjectAltName=DNS:vector.example.com, DNS:*.vector.example.com, IP Address:2001:db8::7"
    )
    assert details.digest_algorithm == "SHA384"
    assert details.extensions_dict() == {
        "SubjectAltName": "DNS:vector.example.com, DNS:*.vector.example.com, "
        "IP Address:2001:db8::7",
        "KeyUsage": "Digital Signature, Key Encipherment, critical",
        "ExtendedKeyUsage": "SERVER_AUTH",
    }
    assert domain_labels(details) == ("vector.example.com", "*.vector.example.com")
    assert lint_for_public_ca(csr) == [
        "Subject Alternate Names other than DNS names (IP Address:2001:db8::7): DNS-01 validates "
        "DNS names only; remove them from the CSR"
    ]
    with pytest.raises(InvalidInput) as exc:
        load_private_key(vector("rsa2048-legacy-aes256.key"), None)
    assert exc.value.errors[0].field == "passphrase"


def test_ed25519_encrypted_der_and_new_label() -> None:
    key = load_private_key(vector("ed25519-pkcs8-aes256.key.der"), PASSPHRASE)
    assert key_description(key) == KeyInfo("EC", 256, "ed25519")
    csr = load_csr(vector("ed25519.csr"))
    check_key_matches(key, csr)
    details = csr_details(csr)
    assert (details.digest_algorithm, details.key_length) == ("ED25519", 256)
    assert "Ed25519" in lint_for_public_ca(csr)[0]


def test_rsa_above_public_ca_limit() -> None:
    csr = load_csr(vector("rsa4104.csr"))
    assert csr_details(csr).key_length == 4104
    assert lint_for_public_ca(csr) == [
        "RSA key of 4104 bits: public CAs accept 2048 to 4096 bits; create the CSR with key "
        "length 2048, 3072 or 4096"
    ]
