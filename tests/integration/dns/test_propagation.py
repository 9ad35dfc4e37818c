"""The propagation checker against real BIND9 nameservers: a record that appears late, two
nameservers of which one lags, CNAME delegation into another zone, a nameserver that never
answers, and the Test action's write/wait/remove cycle."""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import threading
from collections.abc import Callable, Iterator

import dns.flags
import pytest

from certdesk.dns.base import TXTRecord
from certdesk.dns.propagation import (
    Nameserver,
    PropagationChecker,
    PropagationProgress,
    PropagationTimeout,
    test_authenticator,
)
from certdesk.dns.rfc2136 import RFC2136Authenticator
from certdesk.errors import DNSError
from tests.fixtures.bind import BindServer

pytestmark = pytest.mark.bind


def _ns(bind: BindServer) -> Nameserver:
    return Nameserver(bind.host, bind.port)


def _record(domain: str) -> TXTRecord:
    return TXTRecord.for_domain(domain, secrets.token_urlsafe(32))


@pytest.fixture
def later() -> Iterator[Callable[[float, Callable[[], None]], None]]:
    """``later(seconds, action)``: run ``action`` on a timer thread; joined at teardown."""
    timers: list[threading.Timer] = []

    def schedule(seconds: float, action: Callable[[], None]) -> None:
        timer = threading.Timer(seconds, action)
        timers.append(timer)
        timer.start()

    yield schedule
    for timer in timers:
        timer.cancel()
        timer.join()


def test_a_record_that_appears_late_is_waited_for(bind_server: BindServer, later) -> None:
    record = _record("late.certdesk.test")
    later(0.6, lambda: bind_server.update_txt(record.fqdn, record.value))
    checker = PropagationChecker(interval=0.05)

    result = checker.check([record], nameservers={record.fqdn: [_ns(bind_server)]}, timeout=10)

    assert result.ok
    [only] = result.per_nameserver
    assert only.seen and only.error is None
    assert only.first_seen_after is not None and only.first_seen_after >= 0.5
    assert only.attempts > 2
    assert result.seconds < 10  # seen before the timeout, not by running it out
    bind_server.update_txt(record.fqdn, record.value, delete=True)


def test_authoritative_nameservers_are_found_through_the_resolvers(bind_server: BindServer) -> None:
    record = _record("found.other.test")
    bind_server.update_txt(record.fqdn, record.value)
    checker = PropagationChecker(
        resolvers=[bind_server.address], interval=0.05, nameserver_port=bind_server.port
    )

    result = checker.check([record], timeout=10)

    [only] = result.per_nameserver
    assert only.seen
    assert only.nameserver == Nameserver(bind_server.host, bind_server.port, "ns1.other.test.")
    assert only.checked_name == record.fqdn
    bind_server.update_txt(record.fqdn, record.value, delete=True)


def test_two_nameservers_one_lagging(bind_factory, later) -> None:
    first = bind_factory(zones=("certdesk.test.",))
    second = bind_factory(zones=("certdesk.test.",))
    record = _record("lagging.certdesk.test")
    first.update_txt(record.fqdn, record.value)
    later(0.8, lambda: second.update_txt(record.fqdn, record.value))
    events: list[PropagationProgress] = []
    checker = PropagationChecker(interval=0.05)

    result = checker.check(
        [record],
        nameservers={record.fqdn: [_ns(first), _ns(second)]},
        timeout=10,
        progress=events.append,
    )

    by_port = {r.nameserver.port: r for r in result.per_nameserver}
    fast, slow = by_port[first.port], by_port[second.port]
    assert fast.seen and slow.seen
    assert fast.first_seen_after is not None and fast.first_seen_after < 0.5
    assert slow.first_seen_after is not None and slow.first_seen_after >= 0.7
    assert result.seconds >= 0.7
    seen_order = [e.nameserver.port for e in events if e.seen]
    assert seen_order == [first.port, second.port]
    assert any(not e.seen and e.nameserver.port == second.port for e in events)


def test_cname_delegation_is_followed_into_the_target_zone(bind_server: BindServer) -> None:
    record = _record("x.certdesk.test")
    target = f"x-{secrets.token_hex(4)}.delegated.test."
    bind_server.update(record.fqdn, "CNAME", target)
    bind_server.update_txt(target, record.value)
    checker = PropagationChecker(
        resolvers=[bind_server.address], interval=0.05, nameserver_port=bind_server.port
    )

    result = checker.check([record], timeout=10)

    [only] = result.per_nameserver
    assert only.seen
    assert only.checked_name == target
    assert only.nameserver.name == "ns1.delegated.test."
    bind_server.update(record.fqdn, "CNAME", target, delete=True)
    bind_server.update_txt(target, record.value, delete=True)


def test_a_nameserver_that_does_not_answer_is_named_on_timeout(
    bind_server: BindServer, unanswering_udp: int
) -> None:
    record = _record("deadns.certdesk.test")
    bind_server.update_txt(record.fqdn, record.value)
    dead = Nameserver("127.0.0.1", unanswering_udp)
    checker = PropagationChecker(interval=0.05, query_timeout=0.3)

    with pytest.raises(PropagationTimeout) as caught:
        checker.check([record], nameservers={record.fqdn: [_ns(bind_server), dead]}, timeout=1.2)

    message = caught.value.message
    assert f"ns 127.0.0.1:{unanswering_udp} did not answer" in message
    assert record.fqdn in message
    assert f"{bind_server.port} " not in message and not message.endswith(str(bind_server.port))
    result = caught.value.result
    by_port = {r.nameserver.port: r for r in result.per_nameserver}
    assert by_port[bind_server.port].seen
    assert not by_port[unanswering_udp].seen
    assert isinstance(caught.value, DNSError)
    bind_server.update_txt(record.fqdn, record.value, delete=True)


def test_a_record_never_written_times_out_naming_record_and_nameserver(
    bind_server: BindServer,
) -> None:
    record = _record("never.certdesk.test")
    checker = PropagationChecker(interval=0.05)

    with pytest.raises(PropagationTimeout) as caught:
        checker.check([record], nameservers={record.fqdn: [_ns(bind_server)]}, timeout=0.5)

    assert f"{record.fqdn}: not visible yet on ns {bind_server.address}" in caught.value.message
    [only] = caught.value.result.per_nameserver
    assert not only.seen and only.attempts >= 2


def test_many_records_are_checked_in_parallel(bind_server: BindServer, later) -> None:
    records = [_record(f"many{i}.certdesk.test") for i in range(30)]

    def write_all() -> None:
        for r in records:
            bind_server.update_txt(r.fqdn, r.value)

    later(0.3, write_all)
    checker = PropagationChecker(interval=0.05)

    result = checker.check(
        records, nameservers={r.fqdn: [_ns(bind_server)] for r in records}, timeout=20
    )

    assert result.ok and len(result.per_nameserver) == 30
    for r in records:
        bind_server.update_txt(r.fqdn, r.value, delete=True)


def test_check_works_from_inside_a_running_event_loop(bind_server: BindServer) -> None:
    record = _record("inloop.certdesk.test")
    bind_server.update_txt(record.fqdn, record.value)
    checker = PropagationChecker(interval=0.05)

    async def inside() -> bool:
        result = checker.check([record], nameservers={record.fqdn: [_ns(bind_server)]}, timeout=5)
        return result.ok

    # A thread of its own: in a full run, Playwright's sync API keeps a loop in the main thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, inside()).result()
    bind_server.update_txt(record.fqdn, record.value, delete=True)


def test_discovery_failure_is_a_dns_error_that_names_the_fix(bind_server: BindServer) -> None:
    record = _record("nowhere.example.org")
    checker = PropagationChecker(resolvers=[bind_server.address], nameserver_port=bind_server.port)

    with pytest.raises(DNSError, match="CERTDESK_DNS_RESOLVERS"):
        checker.check([record], timeout=5)


def _rfc2136(bind: BindServer, secret: str | None = None) -> RFC2136Authenticator:
    attributes = RFC2136Authenticator.validate_attributes(
        {
            "server": bind.host,
            "port": bind.port,
            "key_name": bind.tsig_name,
            "key_secret": secret or bind.tsig_secret,
        }
    )
    return RFC2136Authenticator(attributes)


def test_authenticator_test_writes_waits_and_removes(bind_server: BindServer) -> None:
    auth = _rfc2136(bind_server)
    checker = PropagationChecker(interval=0.05)

    outcome = test_authenticator(auth, "tested.certdesk.test", checker, timeout=10)

    assert outcome.ok and outcome.error is None
    assert [(n.address, n.seen) for n in outcome.nameservers] == [(bind_server.address, True)]
    assert outcome.seconds < 10  # seen before the timeout
    assert bind_server.query_txt("_acme-challenge.tested.certdesk.test.") == []


def test_authenticator_test_reports_a_wrong_credential(bind_server: BindServer) -> None:
    import base64

    auth = _rfc2136(bind_server, base64.b64encode(secrets.token_bytes(32)).decode())
    checker = PropagationChecker(interval=0.05)

    outcome = test_authenticator(auth, "wrongkey.certdesk.test", checker, timeout=5)

    assert not outcome.ok
    assert outcome.error is not None and "check key name, secret and algorithm" in outcome.error
    assert outcome.nameservers == []


def test_a_truncated_udp_answer_is_asked_again_over_tcp(bind_server: BindServer) -> None:
    fqdn = "_acme-challenge.big.certdesk.test."
    values = [secrets.token_urlsafe(32) for _ in range(25)]
    for value in values:
        bind_server.update_txt(fqdn, value)
    assert bind_server.query(fqdn).flags & dns.flags.TC  # 25 values do not fit in 512 bytes
    record = TXTRecord("big.certdesk.test", fqdn, values[-1])
    checker = PropagationChecker(interval=0.05)

    result = checker.check([record], nameservers={fqdn: [_ns(bind_server)]}, timeout=5)

    [only] = result.per_nameserver
    assert only.seen and only.attempts == 1
    for value in values:
        bind_server.update_txt(fqdn, value, delete=True)


def test_settle_delay_is_added_once_everything_is_visible(bind_server: BindServer) -> None:
    record = _record("settle.certdesk.test")
    bind_server.update_txt(record.fqdn, record.value)
    checker = PropagationChecker(interval=0.05)

    result = checker.check(
        [record], nameservers={record.fqdn: [_ns(bind_server)]}, timeout=5, settle_delay=0.4
    )

    [only] = result.per_nameserver
    assert only.first_seen_after is not None and only.first_seen_after < 0.3
    assert result.seconds >= 0.4
    bind_server.update_txt(record.fqdn, record.value, delete=True)
