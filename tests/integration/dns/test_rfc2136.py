"""rfc2136 against the real BIND9 of the fixtures: signed updates over UDP and TCP, the zone
found by SOA lookup, and a wrong secret refused with a clear message and nothing written."""

from __future__ import annotations

import base64
import secrets
import socket
import time

import pytest

from certdesk.dns.base import TXTRecord
from certdesk.dns.discovery import Nameserver
from certdesk.dns.rfc2136 import RFC2136Authenticator
from certdesk.errors import DNSError
from tests.fixtures.bind import BindServer

pytestmark = pytest.mark.bind


def _authenticator(
    bind: BindServer, transport: str = "auto", **overrides: object
) -> RFC2136Authenticator:
    data: dict[str, object] = {
        "server": bind.host,
        "port": bind.port,
        "key_name": bind.tsig_name,
        "key_secret": bind.tsig_secret,
        "key_algorithm": bind.tsig_algorithm,
    }
    data.update(overrides)
    attributes = RFC2136Authenticator.validate_attributes(data)
    return RFC2136Authenticator(attributes, transport=transport)  # type: ignore[arg-type]


def _record(domain: str) -> TXTRecord:
    return TXTRecord.for_domain(domain, secrets.token_urlsafe(32))


@pytest.mark.parametrize("transport", ["udp", "tcp", "auto"])
def test_perform_and_cleanup_write_and_remove_the_record(
    bind_server: BindServer, transport: str
) -> None:
    auth = _authenticator(bind_server, transport)
    record = _record(f"{transport}.certdesk.test")

    auth.perform(record)
    assert record.value in bind_server.query_txt(record.fqdn)

    auth.cleanup(record)
    assert record.value not in bind_server.query_txt(record.fqdn)


def test_two_values_at_one_name_coexist(bind_server: BindServer) -> None:
    auth = _authenticator(bind_server)
    base = _record("both.certdesk.test")
    wildcard = _record("*.both.certdesk.test")
    assert base.fqdn == wildcard.fqdn

    auth.perform(base)
    auth.perform(wildcard)
    assert {base.value, wildcard.value} <= set(bind_server.query_txt(base.fqdn))

    auth.cleanup(base)
    assert bind_server.query_txt(base.fqdn) == [wildcard.value]
    auth.cleanup(wildcard)


def test_cleanup_of_an_absent_record_is_fine(bind_server: BindServer) -> None:
    auth = _authenticator(bind_server)
    auth.cleanup(_record("never-written.certdesk.test"))


def test_zone_is_found_by_soa_lookup_or_taken_as_given(bind_server: BindServer) -> None:
    auth = _authenticator(bind_server)
    assert auth.zone_for("_acme-challenge.a.b.other.test.").to_text() == "other.test."

    given = _authenticator(bind_server, zone="certdesk.test")
    record = _record("given-zone.certdesk.test")
    given.perform(record)
    assert record.value in bind_server.query_txt(record.fqdn)
    given.cleanup(record)


def test_a_name_outside_the_servers_zones_says_so(bind_server: BindServer) -> None:
    auth = _authenticator(bind_server)
    with pytest.raises(DNSError, match="not authoritative for any zone above"):
        auth.perform(_record("nowhere.example.org"))


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_wrong_secret_is_refused_clearly_and_nothing_is_written(
    bind_server: BindServer, transport: str
) -> None:
    wrong = base64.b64encode(secrets.token_bytes(32)).decode()
    auth = _authenticator(bind_server, transport, key_secret=wrong)
    record = _record(f"wrong-{transport}.certdesk.test")

    with pytest.raises(DNSError) as caught:
        auth.perform(record)

    message = caught.value.message
    assert f"{bind_server.host}:{bind_server.port}" in message
    assert "certdesk.test." in message
    assert "check key name, secret and algorithm" in message
    assert wrong not in message and bind_server.tsig_secret not in message
    assert bind_server.query_txt(record.fqdn) == []


def test_unknown_key_name_is_refused(bind_server: BindServer) -> None:
    auth = _authenticator(bind_server, key_name="nobody-knows-me.")
    with pytest.raises(DNSError, match=r"BADKEY|NOTAUTH"):
        auth.perform(_record("badkey.certdesk.test"))


def test_nameservers_to_check_are_the_server_itself(bind_server: BindServer) -> None:
    auth = _authenticator(bind_server)
    assert auth.nameservers() == [Nameserver(bind_server.host, bind_server.port, bind_server.host)]


def test_a_server_that_does_not_answer_times_out_with_a_clear_message(unanswering_udp: int) -> None:
    attributes = RFC2136Authenticator.validate_attributes(
        {
            "server": "127.0.0.1",
            "port": unanswering_udp,
            "key_name": "k.",
            "key_secret": base64.b64encode(b"x" * 32).decode(),
            "zone": "certdesk.test",
        }
    )
    auth = RFC2136Authenticator(attributes, transport="udp", timeout=0.5)
    with pytest.raises(DNSError, match="did not answer"):
        auth.perform(_record("silent.certdesk.test"))


def test_a_closed_port_fails_at_once_not_after_the_timeout() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    attributes = RFC2136Authenticator.validate_attributes(
        {
            "server": "127.0.0.1",
            "port": closed,
            "key_name": "k.",
            "key_secret": base64.b64encode(b"x" * 32).decode(),
            "zone": "certdesk.test",
        }
    )
    auth = RFC2136Authenticator(attributes, timeout=30)
    started = time.monotonic()
    with pytest.raises(DNSError, match=f"Could not reach the rfc2136 server 127.0.0.1:{closed}"):
        auth.perform(_record("closed.certdesk.test"))
    assert time.monotonic() - started < 5


def test_a_cname_on_acme_challenge_is_followed_to_the_delegated_zone(
    bind_server: BindServer,
) -> None:
    auth = _authenticator(bind_server)
    record = _record("cnamed.certdesk.test")
    target = f"cnamed-{secrets.token_hex(4)}.delegated.test."
    bind_server.update(record.fqdn, "CNAME", target)

    auth.perform(record)
    assert bind_server.query_txt(target) == [record.value]
    assert record.value in bind_server.query_txt(record.fqdn)

    auth.cleanup(record)
    assert bind_server.query_txt(target) == []
    bind_server.update(record.fqdn, "CNAME", target, delete=True)


def test_a_cname_to_a_zone_the_server_does_not_hold_is_named(bind_server: BindServer) -> None:
    auth = _authenticator(bind_server)
    record = _record("away.certdesk.test")
    bind_server.update(record.fqdn, "CNAME", "x.acme-dns.example.org.")

    with pytest.raises(DNSError) as caught:
        auth.perform(record)

    assert "x.acme-dns.example.org." in caught.value.message
    assert f"CNAME target of {record.fqdn}" in caught.value.message
    bind_server.update(record.fqdn, "CNAME", "x.acme-dns.example.org.", delete=True)
