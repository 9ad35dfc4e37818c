"""cloudflare through lexicon's real provider, against a local fake of the Cloudflare v4 API that
asserts method, path, auth headers and body (reached as an HTTPS proxy; see fake_cloudflare)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from certdesk.dns.base import TXTRecord
from certdesk.dns.registry import get_type
from certdesk.errors import DNSError
from tests.integration.dns.fake_cloudflare import PREFIX, FakeCloudflare, make_tls, serve

ZONE = "example.com"


@pytest.fixture
def cloudflare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., FakeCloudflare]]:
    """``cloudflare(expected_headers)``: a fake API the process's HTTPS traffic is sent to."""
    context, ca_path = make_tls(tmp_path)
    servers = []

    def start(expected_headers: dict[str, str]) -> FakeCloudflare:
        fake = FakeCloudflare(ZONE, expected_headers)
        server = serve(fake, context)
        servers.append(server)
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{server.server_address[1]}")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_path))
        for name in ("NO_PROXY", "no_proxy", "https_proxy", "CURL_CA_BUNDLE"):
            monkeypatch.delenv(name, raising=False)
        return fake

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _record(host: str = "www") -> TXTRecord:
    return TXTRecord.for_domain(f"{host}.{ZONE}", secrets.token_urlsafe(32))


def test_api_token_create_and_delete(cloudflare: Callable[..., FakeCloudflare]) -> None:
    token = "cf-token-" + secrets.token_hex(8)
    fake = cloudflare({"Authorization": f"Bearer {token}"})
    cls = get_type("cloudflare")
    auth = cls(cls.validate_attributes({"api_token": token}))
    record = _record()

    auth.perform(record)

    assert set(fake.tunnels) == {"api.cloudflare.com:443"}
    zones, create = fake.requests
    assert (zones.method, zones.path, zones.query) == (
        "GET",
        f"{PREFIX}/zones",
        {"page": "1", "per_page": "100"},
    )
    assert (create.method, create.path) == ("POST", f"{PREFIX}/zones/{fake.zone_id}/dns_records")
    assert create.headers["Content-Type"] == "application/json"
    assert "X-Auth-Key" not in create.headers
    assert create.body == {
        "type": "TXT",
        "name": "_acme-challenge.www.example.com",
        "content": record.value,
        "data": None,
        "ttl": 60,
    }
    [stored] = fake.records.values()
    assert stored["content"] == record.value

    fake.requests.clear()
    auth.cleanup(record)

    zones, listing, delete = fake.requests
    assert (listing.method, listing.path) == ("GET", f"{PREFIX}/zones/{fake.zone_id}/dns_records")
    assert listing.query == {
        "per_page": "100",
        "type": "TXT",
        "name": "_acme-challenge.www.example.com",
        "content": record.value,
    }
    assert (delete.method, delete.path) == (
        "DELETE",
        f"{PREFIX}/zones/{fake.zone_id}/dns_records/{stored['id']}",
    )
    assert fake.records == {}

    fake.requests.clear()
    auth.cleanup(record)
    assert [r.method for r in fake.requests] == ["GET", "GET"]


def test_global_api_key_sends_email_and_key_headers(
    cloudflare: Callable[..., FakeCloudflare],
) -> None:
    key = secrets.token_hex(20)
    fake = cloudflare({"X-Auth-Email": "admin@example.com", "X-Auth-Key": key})
    cls = get_type("cloudflare")
    auth = cls(cls.validate_attributes({"cloudflare_email": "admin@example.com", "api_key": key}))

    auth.perform(_record("global"))

    assert [r.method for r in fake.requests] == ["GET", "POST"]
    assert all("Authorization" not in r.headers for r in fake.requests)
    assert len(fake.records) == 1


def test_a_refused_token_is_a_dns_error_without_the_token(
    cloudflare: Callable[..., FakeCloudflare],
) -> None:
    fake = cloudflare({"Authorization": "Bearer the-right-one"})
    wrong = "cf-wrong-" + secrets.token_hex(8)
    cls = get_type("cloudflare")
    auth = cls(cls.validate_attributes({"api_token": wrong}))

    with pytest.raises(DNSError) as caught:
        auth.perform(_record("refused"))

    message = caught.value.message
    assert (
        "cloudflare provider could not create the TXT record _acme-challenge.refused.example.com."
        in message
    )
    assert "403" in message
    assert wrong not in message
    assert fake.records == {}
