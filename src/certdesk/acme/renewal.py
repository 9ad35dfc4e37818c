"""ACME Renewal Information (ARI, RFC 9773): the CA's suggested window to renew a certificate.

``certificate_id`` builds the ARI CertID (base64url of the Authority Key Identifier, a dot,
base64url of the DER serial number); ``renewal_info_from_response`` reads the server's answer
into a ``RenewalInfo`` with UTC-aware times and the ``Retry-After`` telling when to ask again.
Deciding *when* to renew is the services' job (a pure function of certificate, ARI and now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import josepy as jose
from cryptography import x509
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from certdesk.errors import ACMEError

#: RFC 9773 §4.3: without Retry-After, ask again in six hours.
DEFAULT_RETRY_AFTER = timedelta(hours=6)


@dataclass(frozen=True)
class RenewalInfo:
    """The CA's suggested renewal window for one certificate."""

    window_start: datetime
    window_end: datetime
    explanation_url: str | None
    #: When to ask the CA again.
    retry_after: datetime


class _Window(BaseModel):
    start: datetime
    end: datetime


class _RenewalInfoBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    suggested_window: _Window = Field(alias="suggestedWindow")
    explanation_url: str | None = Field(default=None, alias="explanationURL")


def certificate_id(cert: x509.Certificate) -> str:
    """The ARI CertID of ``cert``; ``ValueError`` when it has no Authority Key Identifier."""
    try:
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        raise ValueError("the certificate has no Authority Key Identifier") from None
    if aki.key_identifier is None:
        raise ValueError("the certificate's Authority Key Identifier has no key identifier")
    serial = cert.serial_number
    serial_der = serial.to_bytes((serial.bit_length() + 8) // 8, "big", signed=True)
    return f"{jose.b64encode(aki.key_identifier).decode()}.{jose.b64encode(serial_der).decode()}"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def renewal_info_from_json(
    body: bytes, retry_after_seconds: float | None, now: datetime
) -> RenewalInfo:
    """Read an ARI response body; ``ACMEError`` when it is not a valid window."""
    try:
        parsed = _RenewalInfoBody.model_validate_json(body)
    except ValidationError:
        raise ACMEError(
            "The CA's renewal information (ARI) is not a valid suggestedWindow document."
        ) from None
    start = _utc(parsed.suggested_window.start)
    end = _utc(parsed.suggested_window.end)
    if end < start:
        raise ACMEError(
            "The CA's renewal information (ARI) has a window that ends before it starts."
        )
    wait = (
        timedelta(seconds=retry_after_seconds)
        if retry_after_seconds is not None
        else DEFAULT_RETRY_AFTER
    )
    return RenewalInfo(
        window_start=start,
        window_end=end,
        explanation_url=parsed.explanation_url,
        retry_after=now + wait,
    )
