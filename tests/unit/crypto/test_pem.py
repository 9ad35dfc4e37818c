"""PEM as people paste it: CRLF, indentation, other blocks around it, legacy headers."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certdesk.crypto.csr import build_csr, csr_der, csr_pem, load_csr
from certdesk.crypto.keys import load_private_key, public_key_der
from certdesk.crypto.pem import find_pem_block
from certdesk.crypto.spec import CSRRequest, validate_csr_request


def mangle(pem: bytes) -> bytes:
    """What a mail client and a text area do to PEM."""
    lines = pem.decode().splitlines()
    return ("\r\n".join("   " + line + " \t" for line in lines) + "\r\n").encode()


def test_find_pem_block_picks_the_label_and_normalises() -> None:
    data = (
        b"junk\n-----BEGIN A-----\r\n  QUJD \r\n\r\n-----END A-----\n"
        b"-----BEGIN B-----\nREVG\n-----END B-----\n"
    )
    assert find_pem_block(data, lambda label: label == "B") == (
        b"-----BEGIN B-----\nREVG\n-----END B-----\n"
    )
    assert find_pem_block(data, lambda label: label == "A") == (
        b"-----BEGIN A-----\nQUJD\n-----END A-----\n"
    )
    assert find_pem_block(data, lambda label: label == "C") is None
    assert find_pem_block(b"-----BEGIN A-----\nQUJD\n", lambda label: True) is None


def test_pasted_csr_and_keys_load() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    spec, _ = validate_csr_request(CSRRequest(key_type="EC", ec_curve="SECP256R1", common="p"))
    csr = build_csr(spec, key)
    assert csr_der(load_csr(mangle(csr_pem(csr)))) == csr_der(csr)
    for fmt, encryption, passphrase in (
        (serialization.PrivateFormat.PKCS8, serialization.NoEncryption(), None),
        (serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption(), None),
        (
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
            b"pw",
        ),
        (
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(b"pw"),
            b"pw",
        ),
    ):
        pem = key.private_bytes(serialization.Encoding.PEM, fmt, encryption)
        loaded = load_private_key(mangle(pem), passphrase)
        assert public_key_der(loaded) == public_key_der(key)
