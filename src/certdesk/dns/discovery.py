"""Finding where a challenge record lives: CNAME delegation, its zone, and the zone's nameservers.

Given ``_acme-challenge.<domain>.``, the record that the CA will read may sit elsewhere: a CNAME
there delegates it (acme-dns, or a zone kept for challenges only), so the chain is followed first.
Then the zone holding the target is found by walking up to its SOA, and the zone's NS names are
turned into addresses. All lookups go through the configured resolvers (``host``, ``host:port``
or ``[v6]:port``; none means the system's), with dnspython's async resolver.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from certdesk.errors import DNSError

#: How many CNAMEs are followed before giving up (a loop, or a very long chain).
MAX_CNAME_HOPS = 8


@dataclass(frozen=True)
class Nameserver:
    """One nameserver to ask directly: an IP address, a port, and its name when known."""

    address: str
    port: int = 53
    name: str | None = None

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"

    def describe(self) -> str:
        """``ns 127.0.0.1:53 (ns1.example.com.)`` — the words used in messages."""
        return f"ns {self}" + (f" ({self.name})" if self.name else "")


@dataclass(frozen=True)
class Location:
    """Where a record must be checked: the name after CNAMEs, its zone and nameservers."""

    fqdn: str
    target: str
    zone: str
    nameservers: tuple[Nameserver, ...]


def parse_server(text: str, default_port: int = 53) -> Nameserver:
    """``host``, ``host:port``, ``v6`` or ``[v6]:port`` as a Nameserver; ValueError if bad."""
    text = text.strip()
    host, port = text, default_port
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port = int(rest.removeprefix(":"))
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = int(port_text)
    ipaddress.ip_address(host)
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is out of range")
    return Nameserver(host, port)


def make_resolver(resolvers: Sequence[str], lifetime: float) -> dns.asyncresolver.Resolver:
    """An async resolver asking ``resolvers`` (or the system's when empty)."""
    if not resolvers:
        resolver = dns.asyncresolver.Resolver()
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        servers = [parse_server(r) for r in resolvers]
        resolver.nameservers = [dns.nameserver.Do53Nameserver(s.address, s.port) for s in servers]
    resolver.lifetime = lifetime
    resolver.timeout = min(lifetime, 2.0)
    return resolver


async def follow_cname(resolver: dns.asyncresolver.Resolver, fqdn: str) -> str:
    """The name at the end of the CNAME chain starting at ``fqdn`` (``fqdn`` itself if none)."""
    name = dns.name.from_text(fqdn)
    seen = {name}
    for _ in range(MAX_CNAME_HOPS):
        try:
            answer = await resolver.resolve(name, "CNAME", raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return name.to_text()
        except dns.exception.DNSException as exc:
            raise DNSError(f"Could not look up a CNAME at {name}: {describe(exc)}") from exc
        if answer.rrset is None:
            return name.to_text()
        target = answer.rrset[0].target
        if target in seen:
            raise DNSError(f"The CNAME chain from {fqdn} loops at {target}: fix the CNAME records.")
        seen.add(target)
        name = target
    raise DNSError(f"The CNAME chain from {fqdn} is longer than {MAX_CNAME_HOPS} hops.")


async def find_zone_nameservers(
    resolver: dns.asyncresolver.Resolver, zone: str, port: int
) -> tuple[Nameserver, ...]:
    """The addresses of the nameservers the zone's NS records name."""
    try:
        ns_answer = await resolver.resolve(zone, "NS")
    except dns.exception.DNSException as exc:
        raise DNSError(f"Could not find the nameservers of zone {zone}: {describe(exc)}") from exc
    found: list[Nameserver] = []
    failures: list[str] = []
    for ns in sorted(ns_answer, key=lambda r: r.target.to_text()):
        host = ns.target.to_text()
        addresses: list[str] = []
        for rdtype in ("A", "AAAA"):
            try:
                answer = await resolver.resolve(host, rdtype, raise_on_no_answer=False)
            except dns.exception.DNSException as exc:
                failures.append(f"{host} {rdtype}: {describe(exc)}")
                continue
            addresses.extend(r.address for r in answer.rrset or ())
        found.extend(Nameserver(a, port, host) for a in addresses)
    if not found:
        detail = "; ".join(failures) or "no A or AAAA records"
        raise DNSError(
            f"Could not find the address of any nameserver of zone {zone} ({detail}): "
            "check the zone's NS records or CERTDESK_DNS_RESOLVERS."
        )
    return tuple(dict.fromkeys(found))


async def locate(
    resolver: dns.asyncresolver.Resolver,
    fqdn: str,
    port: int = 53,
    cache: dict[str, asyncio.Task[tuple[Nameserver, ...]]] | None = None,
) -> Location:
    """Follow CNAMEs from ``fqdn``, find the target's zone and that zone's nameservers.

    ``cache`` (zone name → lookup) lets the records of one order that share a zone share its
    NS lookup.
    """
    target = await follow_cname(resolver, fqdn)
    try:
        zone = await dns.asyncresolver.zone_for_name(target, resolver=resolver)
    except dns.exception.DNSException as exc:
        raise DNSError(
            f"Could not find the zone of {target}: {describe(exc)}; "
            "check CERTDESK_DNS_RESOLVERS (the resolvers must be able to see the zone)."
        ) from exc
    if zone == dns.name.root:
        raise DNSError(
            f"Could not find the zone of {target}: the resolvers know only the root zone; "
            "check CERTDESK_DNS_RESOLVERS (the resolvers must be able to see the zone)."
        )
    key = zone.to_text()
    if cache is None:
        cache = {}
    if key not in cache:
        cache[key] = asyncio.ensure_future(find_zone_nameservers(resolver, key, port))
    nameservers = await cache[key]
    return Location(fqdn, target, key, nameservers)


def describe(exc: BaseException) -> str:
    """A short sentence for a dnspython exception (its own text is long or empty)."""
    if isinstance(exc, dns.resolver.NXDOMAIN):
        return "the name does not exist (NXDOMAIN)"
    if isinstance(exc, dns.resolver.NoNameservers):
        return "no resolver gave a usable answer (SERVFAIL or REFUSED)"
    if isinstance(exc, dns.resolver.LifetimeTimeout | dns.exception.Timeout):
        return "the resolvers did not answer in time"
    if isinstance(exc, dns.resolver.NoAnswer):
        return "no record of that type"
    if isinstance(exc, dns.resolver.NoRootSOA):
        return "no SOA record was found up to the root"
    return str(exc) or type(exc).__name__
