"""New key on renewal: the fresh CSR asks for the same certificate (subject, extensions, key
type and size or curve, digest) with a new key, and openssl accepts its signature."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certdesk.crypto.csr import key_matches_csr
from certdesk.crypto.keys import load_private_key
from certdesk.services.rekey import new_key_and_csr

SUBJECT = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example GmbH"),
        x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com"),
    ]
)


def stored_csr(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey,
    digest: hashes.HashAlgorithm | None,
) -> bytes:
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(SUBJECT)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("www.example.com"), x509.DNSName("example.com")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return builder.sign(key, digest).public_bytes(serialization.Encoding.PEM)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "digest", "description"),
    [
        (ec.generate_private_key(ec.SECP384R1()), hashes.SHA384(), ("EC", "secp384r1")),
        (rsa.generate_private_key(65537, 2048), hashes.SHA256(), ("RSA", 2048)),
        (ed25519.Ed25519PrivateKey.generate(), None, ("Ed25519", None)),
    ],
    ids=["ec-p384", "rsa-2048", "ed25519"],
)
def test_new_key_and_csr_ask_for_the_same_certificate(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey,
    digest: hashes.HashAlgorithm | None,
    description: tuple[str, object],
    tmp_path: Path,
) -> None:
    old_pem = stored_csr(key, digest)
    key_pem, csr_pem = new_key_and_csr(old_pem)
    old = x509.load_pem_x509_csr(old_pem)
    new = x509.load_pem_x509_csr(csr_pem)
    new_key = load_private_key(key_pem, None)

    assert new.subject == old.subject
    assert new.is_signature_valid
    assert key_matches_csr(new_key, new)
    assert not key_matches_csr(new_key, old)
    assert type(new.signature_hash_algorithm) is type(old.signature_hash_algorithm)
    kind, size = description
    if kind == "EC":
        assert isinstance(new_key, ec.EllipticCurvePrivateKey) and new_key.curve.name == size
    elif kind == "RSA":
        assert isinstance(new_key, rsa.RSAPrivateKey) and new_key.key_size == size
    else:
        assert isinstance(new_key, ed25519.Ed25519PrivateKey)

    old_ext = {e.oid: e for e in old.extensions}
    new_ext = {e.oid: e for e in new.extensions}
    assert set(new_ext) == set(old_ext)
    for oid, ext in old_ext.items():
        assert new_ext[oid].critical == ext.critical
        if oid == x509.ExtensionOID.SUBJECT_KEY_IDENTIFIER:
            assert new_ext[oid].value == x509.SubjectKeyIdentifier.from_public_key(
                new_key.public_key()
            )
            assert new_ext[oid].value != ext.value
        else:
            assert new_ext[oid].value == ext.value

    path = tmp_path / "new.csr"
    path.write_bytes(csr_pem)
    checked = subprocess.run(
        ["openssl", "req", "-in", str(path), "-noout", "-verify"], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert b"PRIVATE KEY" in key_pem and key_pem not in csr_pem
