"""The one policy table of certdesk: every key type, RSA key length, EC curve, digest and
extension usage a user may choose, each with a verdict (recommended, allowed with a warning, or
refused) and one sentence saying why. The service layer, the UI and ``GET /choices`` all read
these tuples; validation in ``spec.py`` and the CA lint in ``lint.py`` apply them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """How certdesk treats a choice."""

    RECOMMENDED = "recommended"
    WARNING = "warning"
    REFUSED = "refused"


@dataclass(frozen=True)
class Choice:
    """One selectable value; ``reason`` is empty when recommended, else one sentence why."""

    value: str
    label: str
    verdict: Verdict
    reason: str = ""


_R = Verdict.RECOMMENDED
_W = Verdict.WARNING
_X = Verdict.REFUSED

KEY_TYPES: tuple[Choice, ...] = (
    Choice("RSA", "RSA", _R),
    Choice("EC", "EC", _R),
)

KEY_LENGTHS: tuple[Choice, ...] = (
    Choice(
        "1024",
        "1024",
        _W,
        "1024-bit RSA keys are too weak: 2048 is the minimum recommended, "
        "and public CAs refuse anything shorter.",
    ),
    Choice("2048", "2048", _R),
    Choice("3072", "3072", _R),
    Choice("4096", "4096", _R),
)

_BRAINPOOL_REASON = (
    "Browsers' TLS stacks and public CAs do not accept Brainpool curves: use it only with a "
    "private CA, or choose SECP256R1 or SECP384R1."
)

EC_CURVES: tuple[Choice, ...] = (
    Choice("BrainpoolP512R1", "BrainpoolP512R1", _W, _BRAINPOOL_REASON),
    Choice("BrainpoolP384R1", "BrainpoolP384R1", _W, _BRAINPOOL_REASON),
    Choice("BrainpoolP256R1", "BrainpoolP256R1", _W, _BRAINPOOL_REASON),
    Choice(
        "SECP256K1",
        "SECP256K1",
        _W,
        "Browsers' TLS stacks and public CAs (Let's Encrypt among them) do not accept secp256k1: "
        "use it only with a private CA, or choose SECP256R1 or SECP384R1.",
    ),
    Choice("SECP384R1", "SECP384R1 (P-384)", _R),
    Choice(
        "SECP521R1",
        "SECP521R1 (P-521)",
        _W,
        "Let's Encrypt takes only P-256 and P-384 keys: choose SECP256R1 or SECP384R1 "
        "for a certificate from a public CA.",
    ),
    Choice(
        "ed25519",
        "ed25519",
        _W,
        "Public CAs do not issue certificates for Ed25519 keys: use it only with a private CA, "
        "or choose SECP256R1 or SECP384R1.",
    ),
    Choice("SECP256R1", "SECP256R1 (P-256)", _R),
)

SHA1_REASON = (
    "SHA-1 signatures are broken: current OpenSSL, the cryptography library and every public CA "
    "refuse them; choose SHA256."
)

DIGESTS: tuple[Choice, ...] = (
    Choice("SHA1", "SHA1", _X, SHA1_REASON),
    Choice(
        "SHA224",
        "SHA224",
        _W,
        "Let's Encrypt and other public CAs accept only CSRs signed with SHA-256, SHA-384 or "
        "SHA-512: choose SHA256 unless a private CA asks for SHA-224.",
    ),
    Choice("SHA256", "SHA256", _R),
    Choice("SHA384", "SHA384", _R),
    Choice("SHA512", "SHA512", _R),
)

EXTENDED_KEY_USAGES: tuple[Choice, ...] = (
    Choice("ANY_EXTENDED_KEY_USAGE", "Any Extended Key Usage", _R),
    Choice("CERTIFICATE_TRANSPARENCY", "Certificate Transparency", _R),
    Choice("CLIENT_AUTH", "Client Authentication", _R),
    Choice("CODE_SIGNING", "Code Signing", _R),
    Choice("EMAIL_PROTECTION", "Email Protection", _R),
    Choice("IPSEC_IKE", "IPsec IKE", _R),
    Choice("KERBEROS_PKINIT_KDC", "Kerberos PKINIT KDC", _R),
    Choice("OCSP_SIGNING", "OCSP Signing", _R),
    Choice("SERVER_AUTH", "Server Authentication", _R),
    Choice("SMARTCARD_LOGON", "Smartcard Logon", _R),
    Choice("TIME_STAMPING", "Time Stamping", _R),
)

KEY_USAGES: tuple[Choice, ...] = (
    Choice("digital_signature", "Digital Signature", _R),
    Choice("content_commitment", "Content Commitment", _R),
    Choice("key_encipherment", "Key Encipherment", _R),
    Choice("data_encipherment", "Data Encipherment", _R),
    Choice("key_agreement", "Key Agreement", _R),
    Choice("key_cert_sign", "Key Cert Sign", _R),
    Choice("crl_sign", "CRL Sign", _R),
    Choice("encipher_only", "Encipher Only", _R),
    Choice("decipher_only", "Decipher Only", _R),
)

DEFAULT_KEY_TYPE = "RSA"
DEFAULT_KEY_LENGTH = 2048
DEFAULT_EC_CURVE = "SECP384R1"
DEFAULT_DIGEST = "SHA256"

#: EC curves a public ACME CA (Let's Encrypt, Pebble) accepts, and the digests it accepts.
PUBLIC_CA_EC_CURVES: frozenset[str] = frozenset({"SECP256R1", "SECP384R1"})
PUBLIC_CA_DIGESTS: frozenset[str] = frozenset({"SHA256", "SHA384", "SHA512"})
PUBLIC_CA_RSA_BITS: tuple[int, int] = (2048, 4096)


def all_choices() -> dict[str, tuple[Choice, ...]]:
    """Every choice list, keyed as in ``GET /choices``."""
    return {
        "key_types": KEY_TYPES,
        "key_lengths": KEY_LENGTHS,
        "ec_curves": EC_CURVES,
        "digest_algorithms": DIGESTS,
        "extended_key_usages": EXTENDED_KEY_USAGES,
        "key_usages": KEY_USAGES,
    }


def find_choice(choices: Iterable[Choice], value: str) -> Choice | None:
    """The choice whose value equals ``value`` (case-insensitively), or None."""
    folded = value.casefold()
    for choice in choices:
        if choice.value.casefold() == folded:
            return choice
    return None


def values(choices: Iterable[Choice]) -> tuple[str, ...]:
    """The values of ``choices`` that are not refused, in table order."""
    return tuple(c.value for c in choices if c.verdict is not Verdict.REFUSED)


def warning_for(choices: Iterable[Choice], value: str, what: str) -> str | None:
    """A user-facing warning sentence when ``value`` is allowed with a warning, else None."""
    choice = find_choice(choices, value)
    if choice is None or choice.verdict is not Verdict.WARNING:
        return None
    return f"{what} {choice.value}: {choice.reason}"
