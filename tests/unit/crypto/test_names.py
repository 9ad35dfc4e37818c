"""SAN entries, emails, countries and CSR names: examples with the exact messages, and hypothesis
properties (round-trips, IPv6 never split, IDNA A-labels, wildcards, junk raises only
ValueError)."""

from __future__ import annotations

import ipaddress
import re

import idna
import pytest
from cryptography import x509
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from certdesk.crypto.names import (
    NAME_MESSAGE,
    NAME_PATTERN,
    SAN,
    check_name,
    countries,
    is_country,
    parse_san,
    parse_sans,
)
from certdesk.errors import FieldError


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("DNS:www.example.com", SAN("DNS", "www.example.com")),
        ("dns:WWW.Example.COM", SAN("DNS", "www.example.com")),
        ("www.example.com", SAN("DNS", "www.example.com")),
        ("  spaced.example  ", SAN("DNS", "spaced.example")),
        ("localhost", SAN("DNS", "localhost")),
        ("*.example.com", SAN("DNS", "*.example.com")),
        ("DNS:Bücher.example", SAN("DNS", "xn--bcher-kva.example")),
        ("ＥＸＡＭＰＬＥ.com", SAN("DNS", "example.com")),
        ("xn--bcher-kva.example", SAN("DNS", "xn--bcher-kva.example")),
        ("*.bücher.example", SAN("DNS", "*.xn--bcher-kva.example")),
        ("192.0.2.1", SAN("IP", "192.0.2.1")),
        ("IP:192.0.2.1", SAN("IP", "192.0.2.1")),
        ("ip:192.0.2.1", SAN("IP", "192.0.2.1")),
        ("IP Address:192.0.2.1", SAN("IP", "192.0.2.1")),
        ("2001:db8::1", SAN("IP", "2001:db8::1")),
        ("2001:DB8:0:0:0:0:0:1", SAN("IP", "2001:db8::1")),
        ("IP:2001:db8::1", SAN("IP", "2001:db8::1")),
        ("::1", SAN("IP", "::1")),
        ("[2001:db8::2]", SAN("IP", "2001:db8::2")),
        ("::ffff:192.0.2.1", SAN("IP", "::ffff:c000:201")),
        ("email:hostmaster@example.com", SAN("email", "hostmaster@example.com")),
        ("EMAIL:a@bücher.example", SAN("email", "a@xn--bcher-kva.example")),
        ("URI:https://example.com/a?b=c", SAN("URI", "https://example.com/a?b=c")),
        (
            "uri:urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
            SAN("URI", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"),
        ),
    ],
)
def test_parse_san_examples(entry: str, expected: SAN) -> None:
    assert parse_san(entry) == expected


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("", "an empty entry: remove it or write a name such as DNS:www.example.com"),
        (
            "a..b",
            "'a..b' is not a valid DNS name: label 2 is empty (two dots in a row, or a leading "
            "dot)",
        ),
        (
            ".example.com",
            "'.example.com' is not a valid DNS name: label 1 is empty (two dots in a row, or a "
            "leading dot)",
        ),
        ("example.com.", "'example.com.' is not a valid DNS name: remove the trailing dot"),
        (
            "a.*.example.com",
            "'a.*.example.com' is not a valid DNS name: a wildcard (*) is only allowed as the "
            "whole leftmost label, as in *.example.com",
        ),
        (
            "w*.example.com",
            "'w*.example.com' is not a valid DNS name: a wildcard (*) is only allowed as the "
            "whole leftmost label, as in *.example.com",
        ),
        (
            "*",
            "'*' is not a valid DNS name: a wildcard needs a domain after it, as in *.example.com",
        ),
        (
            "under_score.example",
            "'under_score.example' is not a valid DNS name: label 1 ('under_score'): host names "
            "may not contain an underscore (_); use letters, digits and hyphens",
        ),
        ("-lead.example", None),
        ("x" * 64 + ".example", None),
        (
            "192.0.2.300",
            "'192.0.2.300' is not a valid DNS name: the last label is all digits (a mistyped IP "
            "address?)",
        ),
        (
            "IP:192.0.2.300",
            "'192.0.2.300' is not a valid IP address: write an IPv4 address such as 192.0.2.1 or "
            "an IPv6 address such as 2001:db8::1",
        ),
        ("IP:example.com", None),
        ("IP:fe80::1%eth0", None),
        ("IP:10.0.0.0/8", None),
        ("email:not-an-address", None),
        ("email:ä@example.com", None),
        (
            "URI:example.com/no-scheme",
            "'example.com/no-scheme' is not a valid URI: it needs a scheme, as in "
            "https://example.com/path",
        ),
        ("URI:https://bücher.example/", None),
        ("URI:https://a b/", None),
        (
            "https://example.com",
            "'https://example.com' is neither an IP address nor a DNS name: start it with DNS:, "
            "IP:, email: or URI:",
        ),
        ("DNS:", "'' is not a valid DNS name: it is empty"),
        ("a." * 127 + "com", None),
    ],
)
def test_parse_san_refusals(entry: str, message: str | None) -> None:
    with pytest.raises(ValueError) as exc:
        parse_san(entry)
    if message is not None:
        assert str(exc.value) == message
    else:
        assert str(exc.value)


def test_parse_sans_names_every_bad_entry_and_dedupes() -> None:
    sans, errors = parse_sans(
        ["a.example", "A.EXAMPLE", "a..b", "192.0.2.1", "IP:192.0.2.1", "bad_name", "2001:db8::1"],
        "san",
    )
    assert sans == (SAN("DNS", "a.example"), SAN("IP", "192.0.2.1"), SAN("IP", "2001:db8::1"))
    assert [e.field for e in errors] == ["san.2", "san.5"]
    assert errors[0].message.startswith("'a..b' is not a valid DNS name: ")


def test_parse_sans_field_prefix() -> None:
    _, errors = parse_sans(["ok.example", ""], "csr.san")
    assert errors == [
        FieldError(
            "csr.san.1", "an empty entry: remove it or write a name such as DNS:www.example.com"
        )
    ]


def test_str_and_general_names() -> None:
    assert str(SAN("IP", "2001:db8::1")) == "IP:2001:db8::1"
    assert str(SAN("DNS", "example.com")) == "DNS:example.com"
    assert SAN("DNS", "example.com").to_general_name() == x509.DNSName("example.com")
    assert SAN("IP", "2001:db8::1").to_general_name() == x509.IPAddress(
        ipaddress.ip_address("2001:db8::1")
    )
    assert SAN("email", "a@example.com").to_general_name() == x509.RFC822Name("a@example.com")
    assert SAN("URI", "https://x.example/").to_general_name() == x509.UniformResourceIdentifier(
        "https://x.example/"
    )


# --- properties -----------------------------------------------------------------------------

LDH_LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\Z").filter(
    lambda label: label[2:4] != "--"
)
LDH_NAME = (
    st.lists(LDH_LABEL, min_size=1, max_size=5)
    .map(".".join)
    .filter(lambda name: not name.rsplit(".", 1)[-1].isdigit())
)
UNICODE_LABEL = st.text(
    alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Lo", "Nd")), min_size=1, max_size=12
)


@settings(deadline=None)
@given(st.ip_addresses(v=6))
@example(ipaddress.IPv6Address("2001:db8::1"))
@example(ipaddress.IPv6Address("::"))
def test_bare_ipv6_is_never_split(address: ipaddress.IPv6Address) -> None:
    for text in (str(address), address.exploded, address.exploded.upper()):
        assert parse_san(text) == SAN("IP", str(address))
        assert parse_san(f"IP:{text}") == SAN("IP", str(address))


@settings(deadline=None)
@given(st.ip_addresses(v=4))
def test_ipv4(address: ipaddress.IPv4Address) -> None:
    assert parse_san(str(address)) == SAN("IP", str(address))


@settings(deadline=None)
@given(LDH_NAME)
def test_ldh_names_are_kept(name: str) -> None:
    assert parse_san(name) == SAN("DNS", name)
    assert parse_san(name.upper()) == SAN("DNS", name)
    assert parse_san(f"*.{name}") == SAN("DNS", f"*.{name}")


@settings(deadline=None)
@given(st.lists(UNICODE_LABEL, min_size=1, max_size=3), LDH_LABEL.filter(lambda s: not s.isdigit()))
def test_idna_names_become_a_labels(labels: list[str], tld: str) -> None:
    name = ".".join([*labels, tld])
    try:
        san = parse_san(name)
    except ValueError as exc:
        assert str(exc).startswith(repr(name))
        return
    assert san.kind == "DNS"
    assert san.value.isascii()
    assert san.value == san.value.lower()
    for label in san.value.split("."):
        assert re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", label)
    # The U-label form reads back to the same A-labels.
    assert parse_san(idna.decode(san.value)) == san


@settings(deadline=None)
@given(LDH_NAME, st.integers(min_value=1, max_value=4), st.sampled_from(["*", "a*", "*b", "**"]))
def test_wildcard_only_as_whole_leftmost_label(name: str, position: int, bad: str) -> None:
    labels = name.split(".")
    assume(position <= len(labels))
    labels.insert(position, bad)
    with pytest.raises(ValueError, match="wildcard"):
        parse_san(".".join(labels))
    if bad != "*":
        with pytest.raises(ValueError, match="wildcard"):
            parse_san(".".join([bad, name]))


@settings(deadline=None)
@given(st.text(max_size=80))
@example("IP:")
@example("email:")
@example("URI:")
@example("\x00")
@example("\udcff")
@example("xn--")
@example("xn--a.example")
def test_junk_raises_only_value_error_and_round_trips(text: str) -> None:
    try:
        san = parse_san(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert parse_san(str(san)) == san
    assert san.to_general_name() is not None


@settings(deadline=None)
@given(st.lists(st.text(max_size=30), max_size=8))
def test_parse_sans_accounts_for_every_entry(entries: list[str]) -> None:
    sans, errors = parse_sans(entries)
    assert len(set(sans)) == len(sans)
    bad = {int(e.field.split(".")[1]) for e in errors}
    good = [parse_san(e) for i, e in enumerate(entries) if i not in bad]
    assert list(dict.fromkeys(good)) == list(sans)


# --- names and countries ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["csr", "my-csr_01", "A" * 120, "_", "-"])
def test_good_names(name: str) -> None:
    assert check_name(name) == []


@pytest.mark.parametrize("name", ["has space", "dot.ted", "slash/", "ümlaut", "semi;"])
def test_bad_names(name: str) -> None:
    assert check_name(name) == [FieldError("name", NAME_MESSAGE)]


def test_name_length_and_empty() -> None:
    assert check_name("a" * 121, "new_name") == [
        FieldError("new_name", "Name can be at most 120 characters long")
    ]
    (error,) = check_name("")
    assert error.field == "name" and "required" in error.message


@settings(deadline=None)
@given(st.text(max_size=130))
@example("abc\n")
def test_check_name_matches_the_pattern(name: str) -> None:
    ok = bool(re.fullmatch(NAME_PATTERN, name)) and len(name) <= 120
    assert (check_name(name) == []) == ok


def test_countries_come_from_iso_3166() -> None:
    table = dict(countries())
    assert len(table) >= 249
    assert table["DE"] == "Germany"
    assert table["US"] == "United States"
    assert all(len(code) == 2 and code.isupper() for code in table)
    assert is_country("FR") and not is_country("XX") and not is_country("fr")
