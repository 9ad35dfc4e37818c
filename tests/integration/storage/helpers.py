"""Test data for the storage tests: real keys and CSRs made with ``cryptography``."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from certdesk.storage.csrs import NewCSR


@dataclass(frozen=True)
class KeyAndCSR:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    key_pem: bytes
    csr_pem: str


def make_key_and_csr(common: str, sans: tuple[str, ...], *, key_type: str = "RSA") -> KeyAndCSR:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if key_type == "RSA":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])
    )
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False
        )
    csr = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return KeyAndCSR(key, key_pem, csr.public_bytes(serialization.Encoding.PEM).decode())


def new_csr(
    name: str,
    *,
    common: str | None = None,
    sans: tuple[str, ...] = (),
    material: KeyAndCSR | None = None,
) -> NewCSR:
    """A NewCSR; without ``material`` the PEM fields are placeholders (fast, for bulk tests)."""
    return NewCSR(
        name=name,
        csr_pem=material.csr_pem if material else f"CSR of {name}",
        private_key_pem=material.key_pem if material else f"key of {name}".encode(),
        key_type="RSA",
        key_length=2048,
        ec_curve=None,
        digest_algorithm="SHA256",
        common=common,
        sans=sans,
        source="created",
    )
