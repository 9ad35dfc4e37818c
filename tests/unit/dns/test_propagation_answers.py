"""Reading TXT answers (multi-string values, CNAMEs in the answer) and the timeout message."""

from __future__ import annotations

import dns.message
import dns.rrset

from certdesk.dns.discovery import Nameserver
from certdesk.dns.propagation import (
    NameserverResult,
    PropagationChecker,
    PropagationResult,
    _timeout_message,
    _txt_values,
)


def _response(*rrsets: dns.rrset.RRset) -> dns.message.Message:
    query = dns.message.make_query("_acme-challenge.example.com.", "TXT")
    response = dns.message.make_response(query)
    response.answer.extend(rrsets)
    return response


def test_txt_values_join_strings_and_follow_cnames_in_the_answer() -> None:
    response = _response(
        dns.rrset.from_text("_acme-challenge.example.com.", 60, "IN", "CNAME", "x.acme.test."),
        dns.rrset.from_text("x.acme.test.", 60, "IN", "TXT", '"abc" "def"', '"other"'),
        dns.rrset.from_text("unrelated.test.", 60, "IN", "TXT", '"nope"'),
    )
    assert _txt_values(response, "_acme-challenge.example.com.") == {"abcdef", "other"}
    assert _txt_values(response, "x.acme.test.") == {"abcdef", "other"}
    assert _txt_values(_response(), "_acme-challenge.example.com.") == set()


def test_timeout_message_names_records_nameservers_and_cname_targets() -> None:
    ns1 = Nameserver("127.0.0.1", 5300, "ns1.example.com.")
    ns2 = Nameserver("127.0.0.1", 5301)
    result = PropagationResult(
        2.0,
        [
            NameserverResult("_acme-challenge.a.example.com.", ns1, True, 0.1, None, 1),
            NameserverResult(
                "_acme-challenge.a.example.com.",
                ns2,
                False,
                None,
                "ns 127.0.0.1:5301 did not answer",
                5,
            ),
            NameserverResult(
                "_acme-challenge.b.example.com.",
                ns1,
                False,
                None,
                "not visible yet",
                9,
                "b.acme.test.",
            ),
        ],
    )
    assert not result.ok
    message = _timeout_message(result, 2)
    assert message.splitlines() == [
        "Records not visible everywhere after 2 s:",
        "_acme-challenge.a.example.com.: ns 127.0.0.1:5301 did not answer",
        "_acme-challenge.b.example.com. (via b.acme.test.): not visible yet on "
        "ns 127.0.0.1:5300 (ns1.example.com.)",
    ]


def test_checker_refuses_a_zero_interval() -> None:
    import pytest

    with pytest.raises(ValueError):
        PropagationChecker(interval=0)
