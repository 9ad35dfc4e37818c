"""Helpers for the ACME client tests: CSRs for test names, unique names per test, the TXT records
of an order written into the test BIND, and ``openssl verify``."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certdesk.acme.order import Order
from tests.fixtures.bind import BindServer


def unique_domain(zone: str = "certdesk.test") -> str:
    """A fresh name under ``zone`` so tests never see each other's records or authorizations."""
    return f"t{secrets.token_hex(5)}.{zone}"


def make_csr(*names: str) -> bytes:
    """A P-256 CSR with CN = the first name and every name as a DNS SAN."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def publish(bind_server: BindServer, order: Order) -> None:
    """Write every TXT record the order asks for into the test BIND."""
    for task in order.authorizations:
        bind_server.update_txt(task.fqdn, task.value)


def bundle_text(ca_bundle: str | Path) -> str:
    """The fixture's CA bundle as PEM text (it may hand over a path)."""
    text = str(ca_bundle)
    return text if text.lstrip().startswith("-----BEGIN") else Path(text).read_text()


def openssl_verify(root_pem: str, chain_pem: bytes, workdir: Path) -> str:
    """``openssl verify -CAfile root -untrusted intermediates leaf``; returns its output."""
    certs = x509.load_pem_x509_certificates(chain_pem)
    root = workdir / "root.pem"
    root.write_text(root_pem)
    leaf = workdir / "leaf.pem"
    leaf.write_bytes(certs[0].public_bytes(serialization.Encoding.PEM))
    untrusted = workdir / "intermediates.pem"
    untrusted.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs[1:]))
    result = subprocess.run(
        ["openssl", "verify", "-CAfile", root, "-untrusted", untrusted, leaf],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def san_names(cert_pem: bytes) -> set[str]:
    cert = x509.load_pem_x509_certificate(cert_pem)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(san.get_values_for_type(x509.DNSName))
