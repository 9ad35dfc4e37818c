"""A fresh key and CSR for "new key on renewal": the same subject, extensions, key type and size
(or curve) and digest as the stored CSR, signed by a newly generated key.

The renewal job calls ``new_key_and_csr`` instead of reusing the stored key when the certificate
asks for it (``new_key_on_renewal``), orders with the new CSR, and stores both with the renewed
certificate. A Subject Key Identifier in the old CSR names the old key, so it is computed again
for the new one; every other extension is copied as it is, with its criticality.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from certdesk.crypto.csr import csr_pem, load_csr
from certdesk.crypto.keys import (
    as_public_key,
    generate_private_key,
    key_description,
    private_key_pem,
)
from certdesk.crypto.spec import KeySpec
from certdesk.errors import InvalidInput

SIGNING_DIGESTS = (hashes.SHA224, hashes.SHA256, hashes.SHA384, hashes.SHA512)


def new_key_and_csr(stored_csr_pem: bytes) -> tuple[bytes, bytes]:
    """(private key PEM, CSR PEM): a new key like the one of ``stored_csr_pem`` and a CSR asking
    for the same certificate. ``InvalidInput`` on ``CSR`` if the stored CSR cannot be read."""
    old = load_csr(stored_csr_pem)
    public = as_public_key(old.public_key())
    if public is None:
        raise InvalidInput.single("CSR", "The stored CSR's key type cannot be generated again.")
    info = key_description(public)
    key = generate_private_key(
        KeySpec(
            key_type=info.key_type,
            key_length=info.key_length if info.key_type == "RSA" else None,
            ec_curve=info.ec_curve,
        )
    )
    builder = x509.CertificateSigningRequestBuilder().subject_name(old.subject)
    for extension in old.extensions:
        value: x509.ExtensionType = extension.value
        if isinstance(value, x509.SubjectKeyIdentifier):
            value = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        builder = builder.add_extension(value, critical=extension.critical)
    algorithm = old.signature_hash_algorithm
    if algorithm is None:  # Ed25519 signs without a separate digest
        new = builder.sign(key, None)
    elif isinstance(algorithm, SIGNING_DIGESTS):
        new = builder.sign(key, algorithm)
    else:
        raise InvalidInput.single("CSR", f"The stored CSR's digest {algorithm.name} is refused.")
    return private_key_pem(key), csr_pem(new)
