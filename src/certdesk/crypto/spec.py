"""The request to create a CSR, raw (``CSRRequest``: one field per API field) and validated
(``CSRSpec``: key, digest, subject, SANs, extensions). ``validate_csr_request`` applies the
profile, the policy table and every rule, and reports all errors of a request at once, each on
its API field path, or returns the spec with its policy warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from certdesk.crypto import policy
from certdesk.crypto.extensions import (
    AuthorityKeyIdentifierSpec,
    BasicConstraintsSpec,
    ExtendedKeyUsageSpec,
    ExtensionsSpec,
    KeyUsageSpec,
    check_extensions,
)
from certdesk.crypto.names import SAN, check_email, is_country, parse_sans
from certdesk.crypto.profiles import PROFILES, Profile
from certdesk.errors import FieldError, InvalidInput

__all__ = [
    "AuthorityKeyIdentifierSpec",
    "BasicConstraintsSpec",
    "CSRRequest",
    "CSRSpec",
    "ExtendedKeyUsageSpec",
    "ExtensionsSpec",
    "KeySpec",
    "KeyUsageSpec",
    "Subject",
    "validate_csr_request",
]

KeyType = Literal["RSA", "EC"]

# Upper bounds of RFC 5280 Appendix A (ub-*), in characters.
SUBJECT_LIMITS: dict[str, tuple[str, int]] = {
    "common": ("Common Name", 64),
    "state": ("State", 128),
    "city": ("Locality", 128),
    "organization": ("Organization", 64),
    "organizational_unit": ("Organizational Unit", 64),
    "email": ("Email", 255),
}

_CURVE_ALIASES = {"P-256": "SECP256R1", "P-384": "SECP384R1", "P-521": "SECP521R1"}


@dataclass(frozen=True)
class CSRRequest:
    """Typed but unvalidated input; ``None`` means "not given" (a profile or default applies)."""

    key_type: str | None = None
    key_length: int | None = None
    ec_curve: str | None = None
    digest_algorithm: str | None = None
    country: str | None = None
    state: str | None = None
    city: str | None = None
    organization: str | None = None
    organizational_unit: str | None = None
    email: str | None = None
    common: str | None = None
    san: tuple[str, ...] = ()
    cert_extensions: ExtensionsSpec | None = None
    profile: str | None = None


@dataclass(frozen=True)
class KeySpec:
    """The key to generate: RSA with ``key_length``, or EC on ``ec_curve`` ("ed25519" too)."""

    key_type: KeyType
    key_length: int | None = None
    ec_curve: str | None = None


@dataclass(frozen=True)
class Subject:
    """Subject attributes; None when absent."""

    common: str | None = None
    country: str | None = None
    state: str | None = None
    city: str | None = None
    organization: str | None = None
    organizational_unit: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class CSRSpec:
    """A validated CSR request; ``digest_algorithm`` is None for Ed25519."""

    key: KeySpec
    digest_algorithm: str | None
    subject: Subject
    sans: tuple[SAN, ...] = ()
    extensions: ExtensionsSpec = field(default_factory=ExtensionsSpec)


@dataclass
class _Collector:
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))


def validate_csr_request(req: CSRRequest) -> tuple[CSRSpec, tuple[str, ...]]:
    """Validate ``req``; return the spec and its policy warnings, or raise ``InvalidInput``
    with every error of the request."""
    out = _Collector()
    profile = _profile(req.profile, out)
    key = _key_spec(req, profile, out)
    digest = _digest(req, profile, key, out)
    subject = _subject(req, out)
    sans, san_errors = parse_sans(req.san, "san")
    out.errors.extend(san_errors)
    if subject.common is None and not req.san:
        out.error("san", "Give a Common Name or at least one Subject Alternate Name")
    extensions = req.cert_extensions
    if extensions is None:
        extensions = profile.extensions if profile else ExtensionsSpec()
    out.errors.extend(check_extensions(extensions))
    if out.errors or key is None:
        raise InvalidInput(out.errors)
    spec = CSRSpec(key, digest, subject, sans, extensions)
    return spec, tuple(out.warnings)


def _profile(name: str | None, out: _Collector) -> Profile | None:
    if name is None or name == "":
        return None
    profile = PROFILES.get(name)
    if profile is None:
        out.error(
            "profile",
            f"{name!r} is not a profile: choose " + " or ".join(repr(p) for p in PROFILES),
        )
    return profile


def _key_spec(req: CSRRequest, profile: Profile | None, out: _Collector) -> KeySpec | None:
    raw_type = req.key_type if req.key_type is not None else None
    if raw_type is None:
        raw_type = profile.key_type if profile else policy.DEFAULT_KEY_TYPE
    type_choice = policy.find_choice(policy.KEY_TYPES, raw_type)
    if type_choice is None:
        out.error("key_type", f"{raw_type!r} is not a key type: choose RSA or EC")
        return None
    if type_choice.value == "RSA":
        if req.ec_curve is not None:
            out.error("ec_curve", "EC Curve applies only to EC keys: clear it or set key_type EC")
        length = req.key_length
        if length is None:
            length = (profile.key_length if profile else None) or policy.DEFAULT_KEY_LENGTH
        if isinstance(length, bool) or policy.find_choice(policy.KEY_LENGTHS, str(length)) is None:
            out.error(
                "key_length",
                f"{length!r} is not an offered RSA key length: choose "
                + ", ".join(policy.values(policy.KEY_LENGTHS)),
            )
            return None
        _warn(out, policy.KEY_LENGTHS, str(length), "Key length")
        return KeySpec("RSA", key_length=int(length))
    if req.key_length is not None:
        out.error("key_length", "Key Length applies only to RSA keys: clear it or set key_type RSA")
    raw_curve = req.ec_curve
    if raw_curve is None:
        raw_curve = (profile.ec_curve if profile else None) or policy.DEFAULT_EC_CURVE
    curve = policy.find_choice(policy.EC_CURVES, _CURVE_ALIASES.get(raw_curve.upper(), raw_curve))
    if curve is None:
        out.error(
            "ec_curve",
            f"{raw_curve!r} is not an offered EC curve: choose "
            + ", ".join(policy.values(policy.EC_CURVES)),
        )
        return None
    _warn(out, policy.EC_CURVES, curve.value, "EC curve")
    return KeySpec("EC", ec_curve=curve.value)


def _digest(
    req: CSRRequest, profile: Profile | None, key: KeySpec | None, out: _Collector
) -> str | None:
    raw = req.digest_algorithm
    if key is not None and key.ec_curve == "ed25519":
        if raw is not None:
            out.warnings.append(
                f"Ed25519 signs without a separate digest: digest_algorithm {raw} is ignored"
            )
        return None
    if raw is None:
        raw = profile.digest_algorithm if profile else policy.DEFAULT_DIGEST
    choice = policy.find_choice(policy.DIGESTS, raw.replace("-", ""))
    if choice is None:
        out.error(
            "digest_algorithm",
            f"{raw!r} is not a digest algorithm: choose "
            + ", ".join(policy.values(policy.DIGESTS)),
        )
        return None
    if choice.verdict is policy.Verdict.REFUSED:
        out.error("digest_algorithm", f"{choice.value} is refused: {choice.reason}")
        return None
    _warn(out, policy.DIGESTS, choice.value, "Digest")
    return choice.value


def _warn(out: _Collector, choices: tuple[policy.Choice, ...], value: str, what: str) -> None:
    warning = policy.warning_for(choices, value, what)
    if warning:
        out.warnings.append(warning)


def _subject(req: CSRRequest, out: _Collector) -> Subject:
    def text(name: str) -> str | None:
        value = getattr(req, name)
        if value is None or not value.strip():
            return None
        value = value.strip()
        label, limit = SUBJECT_LIMITS[name]
        if len(value) > limit:
            out.error(name, f"{label} can be at most {limit} characters long (RFC 5280)")
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            out.error(name, f"{label} contains control characters: remove them")
        return value

    country = req.country.strip().upper() if req.country and req.country.strip() else None
    if country is not None and not is_country(country):
        out.error(
            "country",
            f"{req.country!r} is not an ISO 3166-1 alpha-2 country code: choose one such as US",
        )
    email = text("email")
    if email is not None:
        try:
            email = check_email(email)
        except ValueError as exc:
            out.error("email", str(exc))
    return Subject(
        common=text("common"),
        country=country,
        state=text("state"),
        city=text("city"),
        organization=text("organization"),
        organizational_unit=text("organizational_unit"),
        email=email,
    )
