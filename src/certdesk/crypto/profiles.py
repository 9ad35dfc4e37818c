"""The two CSR profiles of truenas-spec §3.3, "HTTPS RSA Certificate" and "HTTPS ECC
Certificate": key options, digest and extensions a user gets by picking one. Explicit options
given with a profile override it (``spec.validate_csr_request`` applies that rule).
"""

from __future__ import annotations

from dataclasses import dataclass

from certdesk.crypto.extensions import (
    BasicConstraintsSpec,
    ExtendedKeyUsageSpec,
    ExtensionsSpec,
    KeyUsageSpec,
)


@dataclass(frozen=True)
class Profile:
    """Key options, digest and extensions a profile fills in."""

    name: str
    key_type: str
    key_length: int | None
    ec_curve: str | None
    digest_algorithm: str
    extensions: ExtensionsSpec


_BASIC_CONSTRAINTS = BasicConstraintsSpec(enabled=True, ca=False, extension_critical=True)
_EXTENDED_KEY_USAGE = ExtendedKeyUsageSpec(
    enabled=True, usages=("SERVER_AUTH", "CLIENT_AUTH"), extension_critical=True
)

HTTPS_RSA = Profile(
    name="HTTPS RSA Certificate",
    key_type="RSA",
    key_length=2048,
    ec_curve=None,
    digest_algorithm="SHA256",
    extensions=ExtensionsSpec(
        basic_constraints=_BASIC_CONSTRAINTS,
        extended_key_usage=_EXTENDED_KEY_USAGE,
        key_usage=KeyUsageSpec(
            enabled=True,
            digital_signature=True,
            key_encipherment=True,
            key_agreement=True,
            extension_critical=True,
        ),
    ),
)

HTTPS_ECC = Profile(
    name="HTTPS ECC Certificate",
    key_type="EC",
    key_length=None,
    ec_curve="SECP384R1",
    digest_algorithm="SHA256",
    extensions=ExtensionsSpec(
        basic_constraints=_BASIC_CONSTRAINTS,
        extended_key_usage=_EXTENDED_KEY_USAGE,
        key_usage=KeyUsageSpec(enabled=True, digital_signature=True, extension_critical=True),
    ),
)

PROFILES: dict[str, Profile] = {p.name: p for p in (HTTPS_RSA, HTTPS_ECC)}
