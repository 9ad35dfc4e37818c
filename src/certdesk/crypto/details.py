"""What the Edit CSR screen shows about a CSR (truenas-spec §4.3), read from the CSR itself:
subject fields, SANs in OpenSSL's rendering, the DN string, the digest parsed from the signature,
key type/size/curve (Ed25519 as 256 bits), extensions as text with their criticality, the
SHA-256 fingerprint and the policy warnings for the key and digest actually used; plus the
domain names that need a DNS authenticator for ACME.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtensionOID, NameOID

from certdesk.crypto import policy
from certdesk.crypto.csr import csr_der
from certdesk.crypto.extensions import eku_name, key_usage_labels
from certdesk.crypto.keys import KeyInfo, as_public_key, key_description
from certdesk.crypto.names import check_dns_name

CERT_TYPE_CSR = "CERTIFICATE"

_SHORT_NAMES: dict[x509.ObjectIdentifier, str] = {
    NameOID.COMMON_NAME: "CN",
    NameOID.COUNTRY_NAME: "C",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.LOCALITY_NAME: "L",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.EMAIL_ADDRESS: "emailAddress",
}

_EXTENSION_NAMES: dict[x509.ObjectIdentifier, str] = {
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME: "SubjectAltName",
    ExtensionOID.BASIC_CONSTRAINTS: "BasicConstraints",
    ExtensionOID.EXTENDED_KEY_USAGE: "ExtendedKeyUsage",
    ExtensionOID.KEY_USAGE: "KeyUsage",
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER: "AuthorityKeyIdentifier",
    ExtensionOID.SUBJECT_KEY_IDENTIFIER: "SubjectKeyIdentifier",
    ExtensionOID.TLS_FEATURE: "TLSFeature",
}


@dataclass(frozen=True)
class ExtensionInfo:
    """One extension of a CSR: API-style name, OpenSSL-like text, critical flag."""

    name: str
    value: str
    critical: bool


@dataclass(frozen=True)
class CSRDetails:
    """Every field of the Edit CSR details panel, derived from the CSR."""

    common: str | None
    san: tuple[str, ...]
    DN: str  # the API field name
    country: str | None
    state: str | None
    city: str | None
    organization: str | None
    organizational_unit: str | None
    email: str | None
    cert_type: str
    digest_algorithm: str | None
    key_length: int | None
    key_type: str | None
    ec_curve: str | None
    extensions: tuple[ExtensionInfo, ...]
    fingerprint_sha256: str
    warnings: tuple[str, ...]

    def extensions_dict(self) -> dict[str, str]:
        """Extension name -> text, with ", critical" appended to critical ones."""
        return {e.name: f"{e.value}, critical" if e.critical else e.value for e in self.extensions}


def render_general_name(name: x509.GeneralName) -> str:
    """A SAN entry in OpenSSL's rendering: ``DNS:x``, ``IP Address:y``, ``email:z``, ``URI:u``."""
    if isinstance(name, x509.DNSName):
        return f"DNS:{name.value}"
    if isinstance(name, x509.IPAddress):
        return f"IP Address:{name.value}"
    if isinstance(name, x509.RFC822Name):
        return f"email:{name.value}"
    if isinstance(name, x509.UniformResourceIdentifier):
        return f"URI:{name.value}"
    if isinstance(name, x509.DirectoryName):
        return f"DirName:{name.value.rfc4514_string()}"
    if isinstance(name, x509.RegisteredID):
        return f"Registered ID:{name.value.dotted_string}"
    if isinstance(name, x509.OtherName):
        return f"othername:{name.type_id.dotted_string}"
    return f"unknown:{name.value!r}"


def _attr(csr: x509.CertificateSigningRequest, oid: x509.ObjectIdentifier) -> str | None:
    values = csr.subject.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _dn(csr: x509.CertificateSigningRequest, san: tuple[str, ...]) -> str:
    parts: list[str] = []
    for attribute in csr.subject:
        short = _SHORT_NAMES.get(attribute.oid) or attribute.oid.dotted_string
        value = attribute.value
        text = value if isinstance(value, str) else value.decode("utf-8", "replace")
        parts.append(f"/{short}={text}")
    if san:
        parts.append("/subjectAltName=" + ", ".join(san))
    return "".join(parts)


def _extension_text(ext: x509.Extension[x509.ExtensionType]) -> str:
    value = ext.value
    if isinstance(value, x509.SubjectAlternativeName):
        return ", ".join(render_general_name(n) for n in value)
    if isinstance(value, x509.BasicConstraints):
        text = f"CA:{'TRUE' if value.ca else 'FALSE'}"
        return text + (f", pathlen:{value.path_length}" if value.path_length is not None else "")
    if isinstance(value, x509.ExtendedKeyUsage):
        return ", ".join(eku_name(oid) for oid in value)
    if isinstance(value, x509.KeyUsage):
        return ", ".join(key_usage_labels(value))
    if isinstance(value, x509.UnrecognizedExtension):
        return value.value.hex(":")
    return str(value)


def _digest_name(csr: x509.CertificateSigningRequest) -> str | None:
    algorithm = csr.signature_hash_algorithm
    if algorithm is None:
        return csr.signature_algorithm_oid._name.upper().replace("-", "")
    return algorithm.name.upper().replace("-", "")


def _warnings(key: KeyInfo | None, digest: str | None) -> tuple[str, ...]:
    found: list[str] = []
    if key is not None and key.key_type == "RSA":
        if policy.find_choice(policy.KEY_LENGTHS, str(key.key_length)) is None:
            found.append(
                f"Key length {key.key_length}: not a length certdesk offers; "
                "use 2048, 3072 or 4096 bits"
            )
        elif warning := policy.warning_for(policy.KEY_LENGTHS, str(key.key_length), "Key length"):
            found.append(warning)
    elif key is not None and key.ec_curve is not None:
        if policy.find_choice(policy.EC_CURVES, key.ec_curve) is None:
            found.append(
                f"EC curve {key.ec_curve}: not a curve certdesk offers; public CAs may refuse it"
            )
        elif warning := policy.warning_for(policy.EC_CURVES, key.ec_curve, "EC curve"):
            found.append(warning)
    if digest is not None and digest != "ED25519":
        choice = policy.find_choice(policy.DIGESTS, digest)
        if choice is None:
            found.append(f"Digest {digest}: not a digest certdesk offers; public CAs may refuse it")
        elif choice.verdict is not policy.Verdict.RECOMMENDED:
            found.append(f"Digest {choice.value}: {choice.reason}")
    return tuple(found)


def csr_details(csr: x509.CertificateSigningRequest) -> CSRDetails:
    """The details panel of ``csr`` (which ``load_csr`` or ``build_csr`` produced)."""
    extensions = tuple(
        ExtensionInfo(
            _EXTENSION_NAMES.get(ext.oid) or ext.oid._name or ext.oid.dotted_string,
            _extension_text(ext),
            ext.critical,
        )
        for ext in csr.extensions
    )
    try:
        san_ext = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        san = tuple(render_general_name(n) for n in san_ext.value)
    except x509.ExtensionNotFound:
        san = ()
    public = as_public_key(csr.public_key())
    key = key_description(public) if public is not None else None
    digest = _digest_name(csr)
    fingerprint = hashes.Hash(hashes.SHA256())
    fingerprint.update(csr_der(csr))
    return CSRDetails(
        common=_attr(csr, NameOID.COMMON_NAME),
        san=san,
        DN=_dn(csr, san),
        country=_attr(csr, NameOID.COUNTRY_NAME),
        state=_attr(csr, NameOID.STATE_OR_PROVINCE_NAME),
        city=_attr(csr, NameOID.LOCALITY_NAME),
        organization=_attr(csr, NameOID.ORGANIZATION_NAME),
        organizational_unit=_attr(csr, NameOID.ORGANIZATIONAL_UNIT_NAME),
        email=_attr(csr, NameOID.EMAIL_ADDRESS),
        cert_type=CERT_TYPE_CSR,
        digest_algorithm=digest,
        key_length=key.key_length if key else None,
        key_type=key.key_type if key else None,
        ec_curve=key.ec_curve if key else None,
        extensions=extensions,
        fingerprint_sha256=fingerprint.finalize().hex(":").upper(),
        warnings=_warnings(key, digest),
    )


def domain_labels(details: CSRDetails) -> tuple[str, ...]:
    """The names that need a DNS authenticator for ACME: the Common Name (when it is a DNS
    name) and every DNS SAN, de-duplicated (case-insensitively), as bare names."""
    candidates: list[str] = []
    if details.common:
        candidates.append(details.common)
    candidates.extend(entry[4:] for entry in details.san if entry.startswith("DNS:"))
    labels: list[str] = []
    seen: set[str] = set()
    for candidate in candidates:
        try:
            name = check_dns_name(candidate)
        except ValueError:
            continue
        if name not in seen:
            seen.add(name)
            labels.append(name)
    return tuple(labels)
