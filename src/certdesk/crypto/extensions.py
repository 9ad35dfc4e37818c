"""The X.509 extensions a CSR may request (``cert_extensions`` of the API): their specs as frozen
dataclasses, the rules between them (RFC 5280) checked all at once with API field paths
(``cert_extensions.KeyUsage.key_cert_sign``), and their translation to ``cryptography``
extension objects. Everything is disabled by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from certdesk.crypto import policy
from certdesk.errors import FieldError

EXTENSIONS_FIELD = "cert_extensions"


@dataclass(frozen=True)
class BasicConstraintsSpec:
    """basicConstraints: ``path_length`` only with ``ca``."""

    enabled: bool = False
    ca: bool = False
    path_length: int | None = None
    extension_critical: bool = False


@dataclass(frozen=True)
class AuthorityKeyIdentifierSpec:
    """authorityKeyIdentifier: set by the issuing CA; an enabled one is refused in a CSR."""

    enabled: bool = False
    authority_cert_issuer: bool = False
    extension_critical: bool = False


@dataclass(frozen=True)
class ExtendedKeyUsageSpec:
    """extKeyUsage: ``usages`` are names of ``policy.EXTENDED_KEY_USAGES``."""

    enabled: bool = False
    usages: tuple[str, ...] = ()
    extension_critical: bool = False


@dataclass(frozen=True)
class KeyUsageSpec:
    """keyUsage: the nine bits of RFC 5280 §4.2.1.3."""

    enabled: bool = False
    digital_signature: bool = False
    content_commitment: bool = False
    key_encipherment: bool = False
    data_encipherment: bool = False
    key_agreement: bool = False
    key_cert_sign: bool = False
    crl_sign: bool = False
    encipher_only: bool = False
    decipher_only: bool = False
    extension_critical: bool = False

    def bits(self) -> tuple[str, ...]:
        """The names of the bits that are set, in RFC order."""
        return tuple(c.value for c in policy.KEY_USAGES if getattr(self, c.value))


@dataclass(frozen=True)
class ExtensionsSpec:
    """All requestable extensions; the API names them BasicConstraints, AuthorityKeyIdentifier,
    ExtendedKeyUsage, KeyUsage."""

    basic_constraints: BasicConstraintsSpec = BasicConstraintsSpec()
    authority_key_identifier: AuthorityKeyIdentifierSpec = AuthorityKeyIdentifierSpec()
    extended_key_usage: ExtendedKeyUsageSpec = ExtendedKeyUsageSpec()
    key_usage: KeyUsageSpec = KeyUsageSpec()


# Attribute name -> API name, in the order extensions are added to a CSR.
API_NAMES: dict[str, str] = {
    "basic_constraints": "BasicConstraints",
    "authority_key_identifier": "AuthorityKeyIdentifier",
    "extended_key_usage": "ExtendedKeyUsage",
    "key_usage": "KeyUsage",
}

_KEY_USAGE_LABELS = {c.value: c.label for c in policy.KEY_USAGES}
_EKU_NAMES = tuple(c.value for c in policy.EXTENDED_KEY_USAGES)


def eku_oid(name: str) -> x509.ObjectIdentifier:
    """The OID of an extended key usage named as in ``policy.EXTENDED_KEY_USAGES``."""
    oid = getattr(ExtendedKeyUsageOID, name, None)
    if name not in _EKU_NAMES or not isinstance(oid, x509.ObjectIdentifier):
        raise ValueError(f"{name!r} is not an extended key usage")
    return oid


def eku_name(oid: x509.ObjectIdentifier) -> str:
    """The policy name of an extended key usage OID, or its dotted string when unknown."""
    for name in _EKU_NAMES:
        if getattr(ExtendedKeyUsageOID, name) == oid:
            return name
    return oid.dotted_string


def check_extensions(spec: ExtensionsSpec, prefix: str = EXTENSIONS_FIELD) -> list[FieldError]:
    """Every rule broken by ``spec``, each on its API path under ``prefix``."""
    errors: list[FieldError] = []
    bc, aki = spec.basic_constraints, spec.authority_key_identifier
    eku, ku = spec.extended_key_usage, spec.key_usage
    bc_path, eku_path, ku_path = (
        f"{prefix}.BasicConstraints",
        f"{prefix}.ExtendedKeyUsage",
        f"{prefix}.KeyUsage",
    )
    if bc.enabled and bc.path_length is not None:
        if not bc.ca:
            errors.append(
                FieldError(
                    f"{bc_path}.path_length",
                    "Path length can only be set when ca is true: set ca or clear path_length",
                )
            )
        elif isinstance(bc.path_length, bool) or bc.path_length < 0:
            errors.append(
                FieldError(
                    f"{bc_path}.path_length", "Path length must be a whole number, 0 or more"
                )
            )
    if aki.enabled:
        errors.append(
            FieldError(
                f"{prefix}.AuthorityKeyIdentifier.enabled",
                "Authority Key Identifier is set by the issuing CA and cannot be requested in a "
                "CSR: disable it",
            )
        )
    if eku.enabled:
        if not eku.usages:
            errors.append(
                FieldError(
                    f"{eku_path}.usages",
                    "Choose at least one usage for Extended Key Usage, or disable it",
                )
            )
        for index, usage in enumerate(eku.usages):
            if usage not in _EKU_NAMES:
                errors.append(
                    FieldError(
                        f"{eku_path}.usages.{index}",
                        f"{usage!r} is not an extended key usage: choose from "
                        + ", ".join(_EKU_NAMES),
                    )
                )
        if eku.extension_critical and "ANY_EXTENDED_KEY_USAGE" in eku.usages:
            errors.append(
                FieldError(
                    f"{eku_path}.extension_critical",
                    "Extended Key Usage with ANY_EXTENDED_KEY_USAGE must not be critical "
                    "(RFC 5280 §4.2.1.12): clear Critical Extension",
                )
            )
    if ku.enabled:
        errors.extend(_check_key_usage(ku, bc, ku_path))
    return errors


def _check_key_usage(ku: KeyUsageSpec, bc: BasicConstraintsSpec, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not ku.bits():
        errors.append(
            FieldError(path, "Key Usage needs at least one usage (RFC 5280), or disable it")
        )
    if ku.key_cert_sign and not (bc.enabled and bc.ca):
        errors.append(
            FieldError(
                f"{path}.key_cert_sign",
                "Key Cert Sign needs Basic Constraints enabled with ca set (RFC 5280 §4.2.1.3): "
                "enable them or clear key_cert_sign",
            )
        )
    for bit in ("encipher_only", "decipher_only"):
        if getattr(ku, bit) and not ku.key_agreement:
            errors.append(
                FieldError(
                    f"{path}.{bit}",
                    f"{_KEY_USAGE_LABELS[bit]} needs Key Agreement: set key_agreement or "
                    f"clear {bit}",
                )
            )
    return errors


def to_x509_extensions(spec: ExtensionsSpec) -> list[tuple[x509.ExtensionType, bool]]:
    """The enabled extensions as ``(extension, critical)`` pairs, in API order.

    ``spec`` must have passed ``check_extensions``; an enabled AuthorityKeyIdentifier raises
    ``ValueError`` because it cannot be part of a CSR.
    """
    result: list[tuple[x509.ExtensionType, bool]] = []
    bc, eku, ku = spec.basic_constraints, spec.extended_key_usage, spec.key_usage
    if spec.authority_key_identifier.enabled:
        raise ValueError("AuthorityKeyIdentifier cannot be requested in a CSR")
    if bc.enabled:
        path_length = bc.path_length if bc.ca else None
        result.append(
            (x509.BasicConstraints(ca=bc.ca, path_length=path_length), bc.extension_critical)
        )
    if eku.enabled:
        oids = list(dict.fromkeys(eku_oid(name) for name in eku.usages))
        result.append((x509.ExtendedKeyUsage(oids), eku.extension_critical))
    if ku.enabled:
        result.append(
            (
                x509.KeyUsage(
                    digital_signature=ku.digital_signature,
                    content_commitment=ku.content_commitment,
                    key_encipherment=ku.key_encipherment,
                    data_encipherment=ku.data_encipherment,
                    key_agreement=ku.key_agreement,
                    key_cert_sign=ku.key_cert_sign,
                    crl_sign=ku.crl_sign,
                    encipher_only=ku.encipher_only if ku.key_agreement else False,
                    decipher_only=ku.decipher_only if ku.key_agreement else False,
                ),
                ku.extension_critical,
            )
        )
    return result


def key_usage_labels(ku: x509.KeyUsage) -> tuple[str, ...]:
    """The labels ("Digital Signature", …) of the bits set in a ``cryptography`` KeyUsage."""
    labels: list[str] = []
    for name, label in _KEY_USAGE_LABELS.items():
        if name in ("encipher_only", "decipher_only") and not ku.key_agreement:
            continue
        if getattr(ku, name):
            labels.append(label)
    return tuple(labels)
