"""What a public ACME CA (Let's Encrypt's policy, which Pebble mirrors closely) will refuse in a
CSR, found before an order is placed: key type and size, curve, signature digest, the names
(DNS names only, at most 100, no single-label names) and a CA basicConstraints. Each message
names what to change.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from certdesk.crypto import policy
from certdesk.crypto.details import csr_details, domain_labels
from certdesk.crypto.keys import as_public_key, key_description
from certdesk.crypto.names import check_dns_name

MAX_NAMES = 100


def lint_for_public_ca(csr: x509.CertificateSigningRequest) -> list[str]:
    """Every reason a public ACME CA would refuse ``csr``; empty when it looks acceptable."""
    problems: list[str] = []
    try:
        if not csr.is_signature_valid:
            problems.append("The CSR's signature does not verify: create or export it again")
        public = as_public_key(csr.public_key())
    except (ValueError, UnsupportedAlgorithm):
        return ["The CSR's key type is not supported: create the CSR with an RSA or EC key"]
    if public is None:
        return ["The CSR's key type is not supported: create the CSR with an RSA or EC key"]
    key = key_description(public)
    details = csr_details(csr)
    low, high = policy.PUBLIC_CA_RSA_BITS
    if key.key_type == "RSA":
        if not low <= key.key_length <= high or key.key_length % 8:
            problems.append(
                f"RSA key of {key.key_length} bits: public CAs accept {low} to {high} bits; "
                "create the CSR with key length 2048, 3072 or 4096"
            )
    elif key.ec_curve == "ed25519":
        problems.append(
            "Ed25519 key: public CAs do not issue certificates for Ed25519 keys; create the CSR "
            "with an EC key on SECP256R1 or SECP384R1, or an RSA key"
        )
    elif key.ec_curve not in policy.PUBLIC_CA_EC_CURVES:
        problems.append(
            f"EC curve {key.ec_curve}: public CAs accept only P-256 and P-384; create the CSR "
            "with ec_curve SECP256R1 or SECP384R1"
        )
    digest = details.digest_algorithm
    if key.ec_curve != "ed25519" and digest not in policy.PUBLIC_CA_DIGESTS:
        problems.append(
            f"Signed with {digest}: public CAs accept CSRs signed with SHA256, SHA384 or SHA512; "
            "create the CSR again with digest_algorithm SHA256"
        )
    problems.extend(_name_problems(details.san, details.common, domain_labels(details)))
    problems.extend(_extension_problems(csr))
    return problems


def _name_problems(
    san: tuple[str, ...],
    common: str | None,
    names: tuple[str, ...],
) -> list[str]:
    problems: list[str] = []
    other = [entry for entry in san if not entry.startswith("DNS:")]
    if other:
        problems.append(
            "Subject Alternate Names other than DNS names ("
            + ", ".join(other)
            + "): DNS-01 validates DNS names only; remove them from the CSR"
        )
    for entry in san:
        if entry.startswith("DNS:"):
            try:
                check_dns_name(entry[4:])
            except ValueError as exc:
                problems.append(f"Subject Alternate Name {entry}: {exc}; correct it in the CSR")
    if common:
        problems.extend(_common_name_problems(common))
    if not names:
        problems.append(
            "The CSR names no DNS name: add at least one DNS Subject Alternate Name "
            "such as www.example.com"
        )
    for name in names:
        if "." not in name:
            problems.append(
                f"{name!r} is a single-label name, which public CAs never issue for: "
                "use a fully qualified domain name"
            )
    if len(names) > MAX_NAMES:
        problems.append(
            f"The CSR names {len(names)} domains: public CAs accept at most {MAX_NAMES} per "
            "certificate; split it into several CSRs"
        )
    return problems


def _common_name_problems(common: str) -> list[str]:
    try:
        name = check_dns_name(common)
    except ValueError:
        return [
            f"Common Name {common!r} is not a DNS name: public CAs accept only a Common Name "
            "that is one of the certificate's DNS names; change or clear it"
        ]
    if name != common.lower():
        return [f"Common Name {common!r}: write it in ASCII (A-label) form, {name!r}"]
    if len(common) > 64:
        return ["The Common Name is longer than 64 characters: clear it, keep the SANs"]
    return []


def _extension_problems(csr: x509.CertificateSigningRequest) -> list[str]:
    problems: list[str] = []
    for ext in csr.extensions:
        value = ext.value
        if isinstance(value, x509.BasicConstraints) and value.ca:
            problems.append(
                "BasicConstraints asks for a CA certificate: public CAs issue only end-entity "
                "certificates; clear ca"
            )
        if isinstance(value, x509.TLSFeature):
            problems.append(
                "The CSR requests OCSP Must-Staple (TLS Feature): Let's Encrypt no longer issues "
                "it; remove the extension"
            )
    return problems
