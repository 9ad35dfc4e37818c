"""Certificate Signing Requests: build one from a validated ``CSRSpec`` and its key, load one as
people paste it (PEM or DER, signature verified), serialise it, and check that a private key
belongs to it. Load failures raise ``InvalidInput`` on field ``CSR``.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from certdesk.crypto.extensions import to_x509_extensions
from certdesk.crypto.keys import PrivateKey, as_public_key, public_key_der
from certdesk.crypto.pem import find_pem_block
from certdesk.crypto.spec import CSRSpec, Subject
from certdesk.errors import FieldError, InvalidInput

CSR_FIELD = "CSR"

_Hash = hashes.SHA224 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512
HASHES: dict[str, type[_Hash]] = {
    "SHA224": hashes.SHA224,
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}

_CSR_LABELS = frozenset({"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"})

MSG_UNREADABLE = (
    "Not a valid certificate signing request: paste the whole PEM block from "
    "-----BEGIN CERTIFICATE REQUEST----- to -----END CERTIFICATE REQUEST-----, or give DER"
)
MSG_BAD_SIGNATURE = (
    "The CSR's signature does not verify: it was changed after it was signed; "
    "export it again from where it was made"
)
MSG_KEY_MISMATCH = "Private key does not match the CSR"

# Subject attributes in the order TrueNAS writes them: CN, C, ST, L, O, OU, emailAddress.
_SUBJECT_ORDER: tuple[tuple[str, x509.ObjectIdentifier], ...] = (
    ("common", NameOID.COMMON_NAME),
    ("country", NameOID.COUNTRY_NAME),
    ("state", NameOID.STATE_OR_PROVINCE_NAME),
    ("city", NameOID.LOCALITY_NAME),
    ("organization", NameOID.ORGANIZATION_NAME),
    ("organizational_unit", NameOID.ORGANIZATIONAL_UNIT_NAME),
    ("email", NameOID.EMAIL_ADDRESS),
)


def subject_name(subject: Subject) -> x509.Name:
    """The X.509 Name of ``subject`` (non-empty attributes only, in TrueNAS's order)."""
    attributes = [
        x509.NameAttribute(oid, value)
        for attr, oid in _SUBJECT_ORDER
        if (value := getattr(subject, attr))
    ]
    return x509.Name(attributes)


def build_csr(spec: CSRSpec, key: PrivateKey) -> x509.CertificateSigningRequest:
    """Build and sign the CSR ``spec`` describes with ``key`` (no digest for Ed25519)."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject_name(spec.subject))
    if spec.sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([san.to_general_name() for san in spec.sans]),
            critical=False,
        )
    for extension, critical in to_x509_extensions(spec.extensions):
        builder = builder.add_extension(extension, critical=critical)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return builder.sign(key, None)
    if spec.digest_algorithm not in HASHES:
        raise ValueError(f"digest {spec.digest_algorithm!r} cannot sign a CSR")
    return builder.sign(key, HASHES[spec.digest_algorithm]())


def load_csr(data: bytes) -> x509.CertificateSigningRequest:
    """Load a PEM or DER CSR and verify its signature; ``InvalidInput`` on ``CSR`` otherwise."""
    if b"-----BEGIN" in data:
        block = find_pem_block(data, _CSR_LABELS.__contains__)
        if block is None:
            raise InvalidInput.single(CSR_FIELD, MSG_UNREADABLE)
        loader = x509.load_pem_x509_csr
        blob = block
    else:
        if not data.strip():
            raise InvalidInput.single(CSR_FIELD, "The CSR is empty: paste it")
        loader = x509.load_der_x509_csr
        blob = data
    try:
        csr = loader(blob)
        # Parse lazily-decoded parts now, so a malformed CSR fails here and not later.
        _ = csr.subject.rfc4514_string(), list(csr.extensions), csr.public_key()
        weak = _weak_digest(csr)
        valid = csr.is_signature_valid
    except (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion) as exc:
        if isinstance(exc, UnsupportedAlgorithm):
            raise InvalidInput.single(
                CSR_FIELD, "The CSR uses an unsupported key or signature algorithm"
            ) from None
        raise InvalidInput.single(CSR_FIELD, MSG_UNREADABLE) from None
    if weak is not None:
        raise InvalidInput.single(
            CSR_FIELD,
            f"The CSR is signed with {weak}, a broken digest that certdesk and every public CA "
            "refuse: create the CSR again with SHA256",
        )
    if not valid:
        raise InvalidInput.single(CSR_FIELD, MSG_BAD_SIGNATURE)
    return csr


def _weak_digest(csr: x509.CertificateSigningRequest) -> str | None:
    """ "SHA1" or "MD5" when the CSR is signed with a broken digest (which cannot be verified)."""
    try:
        algorithm = csr.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None
    if isinstance(algorithm, hashes.SHA1 | hashes.MD5):
        return algorithm.name.upper()
    return None


def csr_pem(csr: x509.CertificateSigningRequest) -> bytes:
    """The CSR as PEM."""
    return csr.public_bytes(serialization.Encoding.PEM)


def csr_der(csr: x509.CertificateSigningRequest) -> bytes:
    """The CSR as DER."""
    return csr.public_bytes(serialization.Encoding.DER)


def key_matches_csr(key: PrivateKey, csr: x509.CertificateSigningRequest) -> bool:
    """True when ``key`` is the private half of the CSR's public key."""
    try:
        csr_key = as_public_key(csr.public_key())
    except (ValueError, UnsupportedAlgorithm):
        return False
    return csr_key is not None and public_key_der(key) == public_key_der(csr_key)


def check_key_matches(key: PrivateKey, csr: x509.CertificateSigningRequest) -> None:
    """Raise ``InvalidInput`` on ``privatekey`` when ``key`` does not belong to ``csr``."""
    if not key_matches_csr(key, csr):
        raise InvalidInput([FieldError("privatekey", MSG_KEY_MISMATCH)])
