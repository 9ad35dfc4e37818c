"""Resolver and nameserver addresses as people write them, and how nameservers are named."""

from __future__ import annotations

import pytest

from certdesk.dns.discovery import Nameserver, parse_server


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.53", Nameserver("192.0.2.53", 53)),
        ("127.0.0.1:5300", Nameserver("127.0.0.1", 5300)),
        ("2001:db8::53", Nameserver("2001:db8::53", 53)),
        ("[2001:db8::53]:5353", Nameserver("2001:db8::53", 5353)),
        (" 10.0.0.1 ", Nameserver("10.0.0.1", 53)),
    ],
)
def test_parse_server(text: str, expected: Nameserver) -> None:
    assert parse_server(text) == expected


@pytest.mark.parametrize("text", ["ns1.example.com", "127.0.0.1:0", "127.0.0.1:99999", "1.2.3.4:x"])
def test_parse_server_refuses_what_is_not_an_address(text: str) -> None:
    with pytest.raises(ValueError):
        parse_server(text)


def test_nameserver_words() -> None:
    assert str(Nameserver("127.0.0.1", 5300)) == "127.0.0.1:5300"
    assert str(Nameserver("2001:db8::1")) == "[2001:db8::1]:53"
    assert Nameserver("127.0.0.1", 53, "ns1.example.com.").describe() == (
        "ns 127.0.0.1:53 (ns1.example.com.)"
    )
