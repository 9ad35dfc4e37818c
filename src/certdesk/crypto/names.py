"""Names in certificate requests: Subject Alternative Name entries (typed, normalised, IDNA 2008
A-labels), email addresses, ISO 3166-1 countries and the rule for CSR/certificate names.

``parse_san`` reads one entry the way people write them (``DNS:a.example.com``,
``IP:2001:db8::1``, ``email:x@example.com``, ``URI:https://…`` or a bare host name or address);
a bare IPv6 address is an IP, never split at its first colon. Everything raises ``ValueError``
with a message that names the entry and the fix; ``parse_sans`` turns those into field errors.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal, get_args

import idna
import pycountry
from cryptography import x509
from email_validator import EmailNotValidError, validate_email

from certdesk.errors import FieldError

SANKind = Literal["DNS", "IP", "email", "URI"]
SAN_KINDS: tuple[SANKind, ...] = get_args(SANKind)

NAME_PATTERN = r"^[A-Za-z0-9_-]+$"
NAME_MAX_LENGTH = 120
NAME_MESSAGE = "Name can only contain alphanumeric characters plus dash (-), and underscore (_)"

_NAME_RE = re.compile(NAME_PATTERN)
# "IP Address:" is how OpenSSL (and our details) render IP entries; accept it back.
_PREFIX_RE = re.compile(r"^(DNS|IP|IP Address|email|URI)\s*:(.*)$", re.IGNORECASE | re.DOTALL)
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
_MAX_DNS_LENGTH = 253
#: A label of letters, digits and inner hyphens, at most 63 characters.
_PLAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")


@dataclass(frozen=True)
class SAN:
    """One Subject Alternative Name entry, already normalised (DNS names as A-labels)."""

    kind: SANKind
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

    def to_general_name(self) -> x509.GeneralName:
        """The ``cryptography`` GeneralName for this entry."""
        if self.kind == "DNS":
            return x509.DNSName(self.value)
        if self.kind == "IP":
            return x509.IPAddress(ipaddress.ip_address(self.value))
        if self.kind == "email":
            return x509.RFC822Name(self.value)
        return x509.UniformResourceIdentifier(self.value)


def parse_san(entry: str) -> SAN:
    """Parse one SAN entry; raise ``ValueError`` naming the entry and what to change."""
    text = entry.strip()
    if not text:
        raise ValueError("an empty entry: remove it or write a name such as DNS:www.example.com")
    match = _PREFIX_RE.match(text)
    if match is None:
        return _parse_bare(text)
    prefix, value = match.group(1).casefold(), match.group(2).strip()
    if prefix in ("ip", "ip address"):
        return SAN("IP", check_ip(value))
    if prefix == "dns":
        return SAN("DNS", check_dns_name(value))
    if prefix == "email":
        return SAN("email", check_email(value))
    return SAN("URI", check_uri(value))


def _parse_bare(text: str) -> SAN:
    try:
        return SAN("IP", check_ip(text))
    except ValueError:
        pass
    if ":" in text:
        raise ValueError(
            f"{text!r} is neither an IP address nor a DNS name: start it with DNS:, IP:, "
            "email: or URI:"
        )
    return SAN("DNS", check_dns_name(text))


def check_ip(value: str) -> str:
    """The IPv4 or IPv6 address in ``value``, in its canonical form."""
    candidate = value.strip()
    if candidate.startswith("[") and candidate.endswith("]"):
        candidate = candidate[1:-1]
    if "%" in candidate:
        raise ValueError(
            f"{value!r} is not a valid IP address: a certificate cannot hold a zone index "
            "(%…); remove it"
        )
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a valid IP address: write an IPv4 address such as 192.0.2.1 "
            "or an IPv6 address such as 2001:db8::1"
        ) from None
    return str(address)


def check_dns_name(value: str) -> str:
    """``value`` as a lower-case A-label DNS name (IDNA 2008), checked label by label."""
    name = value.strip()

    def fail(reason: str) -> ValueError:
        return ValueError(f"{value!r} is not a valid DNS name: {reason}")

    if not name:
        raise fail("it is empty")
    if name.endswith("."):
        raise fail("remove the trailing dot")
    labels = name.split(".")
    encoded: list[str] = []
    for position, label in enumerate(labels, start=1):
        if label == "*" and position == 1:
            if len(labels) < 2:
                raise fail("a wildcard needs a domain after it, as in *.example.com")
            encoded.append("*")
            continue
        if "*" in label:
            raise fail(
                "a wildcard (*) is only allowed as the whole leftmost label, as in *.example.com"
            )
        encoded.append(_encode_label(label, position, fail))
    if encoded[-1].isdigit():
        raise fail("the last label is all digits (a mistyped IP address?)")
    result = ".".join(encoded)
    if len(result) > _MAX_DNS_LENGTH:
        raise fail(f"it is {len(result)} characters long once encoded; the limit is 253")
    return result


def _encode_label(label: str, position: int, fail: Callable[[str], ValueError]) -> str:
    if not label:
        raise fail(f"label {position} is empty (two dots in a row, or a leading dot)")
    if _PLAIN_LABEL.match(label) and label[2:4] != "--":
        # Letters, digits and inner hyphens only: already a valid label that IDNA leaves as it
        # is but for case (the common case, checked without the idna tables).
        return label.lower()
    try:
        alabel = idna.encode(label, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise fail(f"label {position} ({label!r}): {_idna_reason(exc)}") from None
    if alabel.startswith("xn--"):
        try:
            idna.decode(alabel)
        except idna.IDNAError as exc:
            raise fail(f"label {position} ({label!r}) is not a valid A-label: {exc}") from None
    return alabel.lower()


def _idna_reason(exc: idna.IDNAError) -> str:
    text = str(exc)
    if "U+005F" in text:
        return "host names may not contain an underscore (_); use letters, digits and hyphens"
    if "Label too long" in text:
        return "a label may be at most 63 characters long"
    if isinstance(exc, idna.InvalidCodepoint):
        return f"{text}; host names use letters, digits and hyphens"
    return text


def check_email(value: str) -> str:
    """``value`` as a validated email address with an A-label domain."""
    address = value.strip()
    try:
        result = validate_email(address, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid email address: {exc}") from None
    if result.ascii_email is None:
        raise ValueError(
            f"{value!r} is not a valid email address for a certificate: the part before the @ "
            "must be ASCII"
        )
    return str(result.ascii_email)


def check_uri(value: str) -> str:
    """``value`` as a URI with a scheme (ASCII only, no spaces)."""
    uri = value.strip()
    scheme, sep, rest = uri.partition(":")
    if not sep or not _SCHEME_RE.match(scheme) or not rest:
        raise ValueError(
            f"{value!r} is not a valid URI: it needs a scheme, as in https://example.com/path"
        )
    if not uri.isascii() or any(ch.isspace() or ord(ch) < 0x20 for ch in uri):
        raise ValueError(
            f"{value!r} is not a valid URI: percent-encode spaces and non-ASCII characters"
        )
    return uri


def parse_sans(
    entries: Sequence[str], field: str = "san"
) -> tuple[tuple[SAN, ...], list[FieldError]]:
    """Parse every entry; return the SANs (duplicates removed, order kept) and every error,
    each on ``<field>.<index>``."""
    sans: list[SAN] = []
    errors: list[FieldError] = []
    seen: set[SAN] = set()
    for index, entry in enumerate(entries):
        try:
            san = parse_san(entry)
        except ValueError as exc:
            errors.append(FieldError(f"{field}.{index}", str(exc)))
            continue
        if san not in seen:
            seen.add(san)
            sans.append(san)
    return tuple(sans), errors


@cache
def countries() -> tuple[tuple[str, str], ...]:
    """ISO 3166-1 (alpha-2 code, name) pairs from ``pycountry``, sorted by name."""
    pairs = [(c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries]
    return tuple(sorted(pairs, key=lambda pair: pair[1]))


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _ in countries())


def is_country(code: str) -> bool:
    """True when ``code`` is an ISO 3166-1 alpha-2 code (upper-case, as stored)."""
    return code in _country_codes()


def check_name(value: str, field: str = "name") -> list[FieldError]:
    """Errors for a CSR or certificate name: ``NAME_PATTERN`` and at most 120 characters."""
    errors: list[FieldError] = []
    if not value:
        errors.append(
            FieldError(field, "Name is required: use letters, digits, dash (-) and underscore (_)")
        )
        return errors
    if not _NAME_RE.fullmatch(value):
        errors.append(FieldError(field, NAME_MESSAGE))
    if len(value) > NAME_MAX_LENGTH:
        errors.append(FieldError(field, f"Name can be at most {NAME_MAX_LENGTH} characters long"))
    return errors
