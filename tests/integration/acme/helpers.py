"""Helpers for the ACME client tests: CSRs for test names, unique names per test, the TXT records
of an order written into the test BIND, Pebble's management API, and ``openssl verify``."""

from __future__ import annotations

import json
import secrets
import ssl
import subprocess
import urllib.request
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certdesk.acme.order import Order
from tests.fixtures.bind import BindServer


class PebbleLike(Protocol):
    """What these helpers use of the ``pebble`` fixture."""

    @property
    def ca_bundle(self) -> str | Path: ...

    @property
    def management_url(self) -> str: ...


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


def management_get(pebble: PebbleLike, path: str) -> bytes:
    """GET ``path`` from Pebble's management interface (trusting the fixture's CA)."""
    context = ssl.create_default_context(cadata=bundle_text(pebble.ca_bundle))
    with urllib.request.urlopen(pebble.management_url + path, context=context, timeout=10) as r:
        return bytes(r.read())


def cert_status(pebble: PebbleLike, serial_hex: str) -> str:
    """Pebble's view of a certificate: "Valid" or "Revoked"."""
    return str(json.loads(management_get(pebble, f"/cert-status-by-serial/{serial_hex}"))["Status"])


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
