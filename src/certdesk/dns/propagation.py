"""The propagation checker: wait exactly until every challenge record is visible, no longer.

For every TXT record of an order it asks every nameserver that matters — the ones the
authenticator names, or else the authoritative nameservers of the zone the record ends up in
after CNAME delegation — directly (no recursion, UDP with TCP fallback on truncation), all records
and nameservers in parallel on one asyncio loop, every ``interval`` seconds, until the value is
among the TXT answers on each or the timeout passes. Progress is reported per nameserver; a
timeout raises ``PropagationTimeout`` (a ``DNSError``) naming what was missing where, with the
result attached. ``test_authenticator`` runs the whole write/wait/remove cycle for the Test action.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from certdesk.clock import Clock, SystemClock
from certdesk.dns.base import Authenticator, TXTRecord
from certdesk.dns.discovery import Location, Nameserver, locate, make_resolver
from certdesk.errors import CertdeskError, DNSError

__all__ = [
    "AuthenticatorTestResult",
    "Nameserver",
    "NameserverResult",
    "NameserverSeen",
    "PropagationChecker",
    "PropagationProgress",
    "PropagationResult",
    "PropagationTimeout",
    "test_authenticator",
]

#: Seconds one direct query may take before the nameserver counts as not answering this time.
QUERY_TIMEOUT = 2.0


@dataclass(frozen=True)
class PropagationProgress:
    """What one nameserver showed so far for one record."""

    fqdn: str
    nameserver: Nameserver
    seen: bool
    attempts: int
    error: str | None = None


@dataclass(frozen=True)
class NameserverResult:
    """The outcome for one record on one nameserver."""

    fqdn: str
    nameserver: Nameserver
    seen: bool
    first_seen_after: float | None
    error: str | None
    attempts: int = 0
    #: The name actually asked (differs from ``fqdn`` behind a CNAME).
    checked_name: str = ""


@dataclass(frozen=True)
class PropagationResult:
    """Every record on every nameserver; ``seconds`` from the start of the check to its end."""

    seconds: float
    per_nameserver: list[NameserverResult]
    started_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return all(r.seen for r in self.per_nameserver)

    def missing(self) -> list[NameserverResult]:
        return [r for r in self.per_nameserver if not r.seen]


class PropagationTimeout(DNSError):
    """Some record was not visible on some nameserver in time; ``result`` says which."""

    def __init__(self, message: str, result: PropagationResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class _Probe:
    fqdn: str
    target: str
    value: str
    nameserver: Nameserver
    attempts: int = 0
    answered: bool = False
    seen_after: float | None = None
    error: str | None = None
    reported: tuple[bool, str | None] | None = field(default=None, repr=False)


class PropagationChecker:
    """Asks nameservers until records are visible; one instance may serve many checks."""

    def __init__(
        self,
        resolvers: Sequence[str] = (),
        interval: float = 0.2,
        clock: Clock | None = None,
        *,
        nameserver_port: int = 53,
        query_timeout: float = QUERY_TIMEOUT,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be greater than zero")
        self.resolvers = tuple(resolvers)
        self.interval = interval
        self.clock: Clock = clock or SystemClock()
        #: Port used for nameservers found through NS records (53 but in tests).
        self.nameserver_port = nameserver_port
        self.query_timeout = query_timeout

    def check(
        self,
        records: Sequence[TXTRecord],
        *,
        nameservers: Mapping[str, Sequence[Nameserver]] | None = None,
        timeout: float,
        settle_delay: float = 0,
        progress: Callable[[PropagationProgress], None] | None = None,
    ) -> PropagationResult:
        """Wait until every record is visible on each of its nameservers.

        ``nameservers`` maps a record's fqdn (or its domain) to the nameservers to ask; records
        not in it get their zone's authoritative ones. ``progress`` is called from the checking
        thread when a nameserver is first asked, and whenever what it shows changes.
        """
        coro = self._check(records, nameservers or {}, timeout, settle_delay, progress)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coro)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coro).result()

    async def _check(
        self,
        records: Sequence[TXTRecord],
        given: Mapping[str, Sequence[Nameserver]],
        timeout: float,
        settle_delay: float,
        progress: Callable[[PropagationProgress], None] | None,
    ) -> PropagationResult:
        started_at = self.clock.now()
        start = time.monotonic()
        deadline = start + timeout
        try:
            locations = await asyncio.wait_for(self._locate_all(records, given), timeout)
        except TimeoutError:
            raise DNSError(
                f"Could not find the nameservers of {', '.join(r.fqdn for r in records)} "
                f"within {timeout:g} s: check CERTDESK_DNS_RESOLVERS."
            ) from None
        probes = [
            _Probe(rec.fqdn, loc.target, rec.value, ns)
            for rec, loc in zip(records, locations, strict=True)
            for ns in loc.nameservers
        ]
        await asyncio.gather(*(self._poll(p, start, deadline, progress) for p in probes))
        result = PropagationResult(
            seconds=time.monotonic() - start,
            per_nameserver=[
                NameserverResult(
                    p.fqdn,
                    p.nameserver,
                    p.seen_after is not None,
                    p.seen_after,
                    None if p.seen_after is not None else p.error or "not visible yet",
                    p.attempts,
                    p.target,
                )
                for p in probes
            ],
            started_at=started_at,
        )
        if not result.ok:
            raise PropagationTimeout(_timeout_message(result, timeout), result)
        if settle_delay > 0:
            await asyncio.sleep(settle_delay)
            result = PropagationResult(time.monotonic() - start, result.per_nameserver, started_at)
        return result

    async def _locate_all(
        self, records: Sequence[TXTRecord], given: Mapping[str, Sequence[Nameserver]]
    ) -> list[Location]:
        resolver = make_resolver(self.resolvers, lifetime=5.0)
        zones: dict[str, asyncio.Task[tuple[Nameserver, ...]]] = {}

        async def one(record: TXTRecord) -> Location:
            explicit = given.get(record.fqdn) or given.get(record.domain)
            if explicit:
                return Location(record.fqdn, record.fqdn, "", tuple(explicit))
            return await locate(resolver, record.fqdn, self.nameserver_port, zones)

        return list(await asyncio.gather(*(one(r) for r in records)))

    async def _poll(
        self,
        probe: _Probe,
        start: float,
        deadline: float,
        progress: Callable[[PropagationProgress], None] | None,
    ) -> None:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            probe.attempts += 1
            seen = await self._ask(probe, min(self.query_timeout, remaining))
            if seen:
                probe.seen_after = time.monotonic() - start
                probe.error = None
            if progress is not None and (
                probe.attempts == 1 or probe.reported != (seen, probe.error)
            ):
                progress(
                    PropagationProgress(
                        probe.fqdn, probe.nameserver, seen, probe.attempts, probe.error
                    )
                )
            probe.reported = (seen, probe.error)
            if seen:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await asyncio.sleep(min(self.interval, remaining))

    async def _ask(self, probe: _Probe, timeout: float) -> bool:
        """One direct query; True when the value is among the TXT answers."""
        query = dns.message.make_query(probe.target, dns.rdatatype.TXT)
        query.flags &= ~dns.flags.RD
        ns = probe.nameserver
        try:
            response = await dns.asyncquery.udp(query, ns.address, timeout=timeout, port=ns.port)
            if response.flags & dns.flags.TC:
                response = await dns.asyncquery.tcp(
                    query, ns.address, timeout=timeout, port=ns.port
                )
        except dns.exception.Timeout:
            if not probe.answered:
                probe.error = f"{ns.describe()} did not answer"
            return False
        except (OSError, dns.exception.DNSException) as exc:
            probe.error = f"{ns.describe()} failed: {exc or type(exc).__name__}"
            return False
        probe.answered = True
        rcode = response.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            probe.error = f"{ns.describe()} answered {dns.rcode.to_text(rcode)}"
            return False
        probe.error = None
        return probe.value in _txt_values(response, probe.target)


def _txt_values(response: dns.message.Message, target: str) -> set[str]:
    """The TXT strings at ``target`` (or behind a CNAME the answer section follows)."""
    names = {dns.name.from_text(target)}
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.CNAME and rrset.name in names:
            names.update(r.target for r in rrset)
    values: set[str] = set()
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.TXT and rrset.name in names:
            values.update(b"".join(r.strings).decode("utf-8", "replace") for r in rrset)
    return values


def _timeout_message(result: PropagationResult, timeout: float) -> str:
    lines = [f"Records not visible everywhere after {timeout:g} s:"]
    for r in result.missing():
        where = f" (via {r.checked_name})" if r.checked_name and r.checked_name != r.fqdn else ""
        error = r.error or "not visible"
        if not error.startswith(r.nameserver.describe()):
            error += f" on {r.nameserver.describe()}"
        lines.append(f"{r.fqdn}{where}: {error}")
    return "\n".join(lines)


@dataclass(frozen=True)
class NameserverSeen:
    address: str
    seen: bool


@dataclass(frozen=True)
class AuthenticatorTestResult:
    """What the Test action reports: did a random record appear everywhere, and how fast."""

    ok: bool
    seconds: float
    nameservers: list[NameserverSeen]
    error: str | None


def test_authenticator(
    auth: Authenticator, domain: str, checker: PropagationChecker, timeout: float
) -> AuthenticatorTestResult:
    """Write a random TXT at ``_acme-challenge.<domain>``, wait until visible, remove it."""
    record = TXTRecord.for_domain(domain, secrets.token_urlsafe(32))
    explicit = auth.nameservers()
    start = time.monotonic()
    result: PropagationResult | None = None
    error: str | None = None
    try:
        auth.perform(record)
        try:
            result = checker.check(
                [record],
                nameservers={record.fqdn: explicit} if explicit else None,
                timeout=timeout,
                settle_delay=auth.settle_delay,
            )
        except PropagationTimeout as exc:
            result, error = exc.result, exc.message
        except CertdeskError as exc:
            error = exc.message
    except CertdeskError as exc:
        error = exc.message
    finally:
        try:
            auth.cleanup(record)
        except CertdeskError as exc:
            error = error or f"The record was written but could not be removed: {exc.message}"
    seen = [
        NameserverSeen(str(r.nameserver), r.seen) for r in (result.per_nameserver if result else [])
    ]
    return AuthenticatorTestResult(error is None, time.monotonic() - start, seen, error)


test_authenticator.__test__ = False  # type: ignore[attr-defined]
