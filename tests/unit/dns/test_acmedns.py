"""acme-dns: the update request (method, path, headers, body) checked by an httpx transport
that plays the server, credential errors in words, and cleanup doing nothing."""

from __future__ import annotations

import json

import httpx
import pytest

from certdesk.dns.acmedns import ACMEDNSAuthenticator
from certdesk.dns.base import TXTRecord
from certdesk.errors import DNSError, InvalidInput

ATTRS = {
    "api_url": "https://auth.example.org/",
    "username": "c36f50e8-4632-44f0-83fe-e070fef28a10",
    "password": "htB9mR9DYgcu9bX_afHF62erXaH2TS7bg9KW3F7Z",
    "subdomain": "1e21e7ad-9a2f-4d4e-a7fb-c8be2d04f8ab",
}


def _auth(handler) -> ACMEDNSAuthenticator:
    attributes = ACMEDNSAuthenticator.validate_attributes(ATTRS)
    return ACMEDNSAuthenticator(attributes, transport=httpx.MockTransport(handler))


def test_perform_posts_the_value_with_the_account_headers() -> None:
    seen: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"txt": json.loads(request.content)["txt"]})

    record = TXTRecord.for_domain("www.example.com", "LHDhK3oGRvkiefQnx7OOczTY5Tic_xZ6HcMOc_gmtoM")
    _auth(server).perform(record)

    [request] = seen
    assert request.method == "POST"
    assert str(request.url) == "https://auth.example.org/update"
    assert request.headers["X-Api-User"] == ATTRS["username"]
    assert request.headers["X-Api-Key"] == ATTRS["password"]
    assert json.loads(request.content) == {"subdomain": ATTRS["subdomain"], "txt": record.value}


def test_refused_credentials_are_named_without_the_password() -> None:
    auth = _auth(lambda request: httpx.Response(401, json={"error": "forbidden"}))
    with pytest.raises(DNSError, match="refused the credentials") as caught:
        auth.perform(TXTRecord.for_domain("a.example.com", "v"))
    assert ATTRS["password"] not in caught.value.message


def test_cleanup_sends_nothing() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        raise AssertionError("cleanup must not call acme-dns")

    _auth(server).cleanup(TXTRecord.for_domain("a.example.com", "v"))


def test_api_url_must_be_http() -> None:
    with pytest.raises(InvalidInput) as caught:
        ACMEDNSAuthenticator.validate_attributes({**ATTRS, "api_url": "ftp://x"})
    assert [e.field for e in caught.value.errors] == ["attributes.api_url"]
