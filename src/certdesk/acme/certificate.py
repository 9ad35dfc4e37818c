"""The certificate an order produced: the full chain as the CA sent it, and its key facts.

``issued_certificate`` parses the chain once with ``cryptography``, checks that the leaf carries
the CSR's public key (a CA that sends someone else's certificate is an error, not a surprise for
later) and returns an ``IssuedCertificate`` with UTC-aware validity times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certdesk.errors import ACMEError

_PEM = serialization.Encoding.PEM


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate issued through ACME, with its chain (leaf first)."""

    chain_pem: bytes
    leaf_pem: bytes
    not_before: datetime
    not_after: datetime
    serial: int
    issuer: str
    order_url: str

    @property
    def intermediates_pem(self) -> bytes:
        """The chain without the leaf."""
        return self.chain_pem[len(self.leaf_pem) :].lstrip(b"\n")

    @property
    def serial_hex(self) -> str:
        """The serial number in lower-case hex, without leading zeros (as Pebble and openssl
        print it without colons)."""
        return format(self.serial, "x")


def issued_certificate(chain_pem: str, csr_pem: bytes, order_url: str) -> IssuedCertificate:
    """Parse and check the chain the CA sent for the order of ``csr_pem``."""
    try:
        chain = x509.load_pem_x509_certificates(chain_pem.encode())
    except ValueError:
        raise ACMEError(
            f"The CA sent a certificate for {order_url} that is not a PEM certificate chain."
        ) from None
    leaf = chain[0]
    csr = x509.load_pem_x509_csr(csr_pem)
    if leaf.public_key() != csr.public_key():
        raise ACMEError(
            f"The CA sent a certificate for {order_url} whose public key is not the CSR's; "
            "it was not stored."
        )
    normalised = b"".join(cert.public_bytes(_PEM) for cert in chain)
    return IssuedCertificate(
        chain_pem=normalised,
        leaf_pem=leaf.public_bytes(_PEM),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        serial=leaf.serial_number,
        issuer=leaf.issuer.rfc4514_string(),
        order_url=order_url,
    )
