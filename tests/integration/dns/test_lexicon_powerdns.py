"""The lexicon path end to end: lexicon's ``powerdns`` provider, configured from our generated
attribute model, writes and removes TXT records on a real PowerDNS (sqlite3 backend) through its
HTTP API, and the propagation checker sees them on PowerDNS's DNS port."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from certdesk.dns.base import TXTRecord
from certdesk.dns.propagation import Nameserver, PropagationChecker
from certdesk.dns.registry import get_type
from certdesk.errors import DNSError


def _attributes(pdns: Any, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "auth_token": pdns.api_key,
        "pdns_server": pdns.api_url,
        "pdns_server_id": "localhost",
        "zone": pdns.zone,
    }
    data.update(overrides)
    return data


def _nameserver(pdns: Any) -> Nameserver:
    return Nameserver("127.0.0.1", pdns.dns_port)


def test_powerdns_provider_writes_and_removes_the_record(pdns_server: Any) -> None:
    cls = get_type("powerdns")
    auth = cls(cls.validate_attributes(_attributes(pdns_server)))
    zone = pdns_server.zone.rstrip(".")
    record = TXTRecord.for_domain(f"www.{zone}", secrets.token_urlsafe(32))
    checker = PropagationChecker(interval=0.05)
    ns = {record.fqdn: [_nameserver(pdns_server)]}

    auth.perform(record)
    result = checker.check([record], nameservers=ns, timeout=10)
    assert result.ok

    auth.cleanup(record)
    with pytest.raises(DNSError, match="not visible"):
        checker.check([record], nameservers=ns, timeout=0.3)


def test_cleanup_of_an_absent_record_is_fine(pdns_server: Any) -> None:
    cls = get_type("powerdns")
    auth = cls(cls.validate_attributes(_attributes(pdns_server)))
    zone = pdns_server.zone.rstrip(".")
    auth.cleanup(TXTRecord.for_domain(f"absent.{zone}", "nothing"))


def test_a_wrong_api_key_is_a_dns_error_without_the_key(pdns_server: Any) -> None:
    cls = get_type("powerdns")
    wrong = "wrong-" + secrets.token_hex(8)
    auth = cls(cls.validate_attributes(_attributes(pdns_server, auth_token=wrong)))
    zone = pdns_server.zone.rstrip(".")

    with pytest.raises(DNSError) as caught:
        auth.perform(TXTRecord.for_domain(f"denied.{zone}", "v"))

    message = caught.value.message
    assert "powerdns provider could not create the TXT record" in message
    assert wrong not in message
