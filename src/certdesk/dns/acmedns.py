"""The ``acme-dns`` authenticator: challenge records on an acme-dns server, reached by CNAME.

acme-dns (github.com/joohoi/acme-dns) serves one TXT name per registered account and lets that
account replace its value through a small HTTP API; the user points
``_acme-challenge.<domain>`` at the account's ``fulldomain`` by CNAME once, and the propagation
checker follows that CNAME. acme-dns keeps the last two values on its own, so cleanup is nothing.
"""

from __future__ import annotations

import builtins
from typing import ClassVar

import httpx
from pydantic import BaseModel, Field, SecretStr, field_validator

from certdesk.dns.base import AttributesModel, Authenticator, TXTRecord
from certdesk.errors import DNSError

#: Seconds one request to acme-dns may take.
TIMEOUT = 30.0


class ACMEDNSAttributes(AttributesModel):
    api_url: str = Field(description="Base URL of the acme-dns API, e.g. https://auth.example.org")
    username: str = Field(description="The account's username, from acme-dns /register.")
    password: SecretStr = Field(description="The account's password, from acme-dns /register.")
    subdomain: str = Field(description="The account's subdomain, from acme-dns /register.")
    fulldomain: str | None = Field(
        None,
        description="The account's fulldomain; _acme-challenge.<domain> must be a CNAME to it.",
    )

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        url = httpx.URL(value)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("Must be an http or https URL, such as https://auth.example.org.")
        return value.rstrip("/")


class ACMEDNSAuthenticator(Authenticator):
    """Sets the TXT value of an acme-dns account."""

    type: ClassVar[str] = "acme-dns"
    title: ClassVar[str] = "acme-dns (CNAME delegation)"
    Attributes: ClassVar[builtins.type[BaseModel]] = ACMEDNSAttributes
    propagation_timeout: ClassVar[float] = 120.0

    def __init__(self, attributes: BaseModel, *, transport: httpx.BaseTransport | None = None):
        super().__init__(attributes)
        self.attrs: ACMEDNSAttributes = attributes  # type: ignore[assignment]
        self._transport = transport

    def perform(self, record: TXTRecord) -> None:
        url = f"{self.attrs.api_url}/update"
        try:
            with httpx.Client(timeout=TIMEOUT, transport=self._transport) as client:
                response = client.post(
                    url,
                    headers={
                        "X-Api-User": self.attrs.username,
                        "X-Api-Key": self.attrs.password.get_secret_value(),
                    },
                    json={"subdomain": self.attrs.subdomain, "txt": record.value},
                )
        except httpx.HTTPError as exc:
            raise DNSError(f"Could not reach acme-dns at {url}: {exc}") from exc
        if response.status_code == 401:
            raise DNSError(
                f"acme-dns at {url} refused the credentials (401): check username, password "
                "and subdomain."
            )
        if response.status_code >= 400:
            raise DNSError(
                f"acme-dns at {url} answered {response.status_code}: {response.text[:300]}"
            )

    def cleanup(self, record: TXTRecord) -> None:
        """Nothing to do: acme-dns keeps only the two most recent values."""
