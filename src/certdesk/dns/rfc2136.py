"""The ``rfc2136`` authenticator: TSIG-signed dynamic updates (RFC 2136/8945) with dnspython.

Works with BIND9, Knot, PowerDNS and any server that accepts signed updates. When the server
holds a CNAME at ``_acme-challenge.<domain>`` (delegation to a zone kept for challenges), the
record is written at the CNAME's target. The zone is given or found by asking the server for the
SOA above the record. Updates go over UDP while they fit in
one datagram, else (or when UDP gets no answer or a truncated one) over TCP. The server's refusal
is reported in words: which server, which zone, what to check.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import ipaddress
import re
import socket
from typing import Annotated, ClassVar, Literal

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update
from dns.rdtypes.ANY.TXT import TXT
from pydantic import BaseModel, Field, SecretStr, field_validator

from certdesk.dns.base import AttributesModel, Authenticator, TXTRecord
from certdesk.dns.discovery import Nameserver
from certdesk.errors import DNSError

#: The TSIG algorithms dnspython signs with (GSS-TSIG needs Kerberos and is left out).
TSIG_ALGORITHMS = tuple(
    sorted(
        name.to_text(omit_final_dot=True)
        for name in (
            dns.tsig.HMAC_MD5,
            dns.tsig.HMAC_SHA1,
            dns.tsig.HMAC_SHA224,
            dns.tsig.HMAC_SHA256,
            dns.tsig.HMAC_SHA256_128,
            dns.tsig.HMAC_SHA384,
            dns.tsig.HMAC_SHA384_192,
            dns.tsig.HMAC_SHA512,
            dns.tsig.HMAC_SHA512_256,
        )
    )
)
TSIGAlgorithm = Literal[
    "hmac-md5.sig-alg.reg.int",
    "hmac-sha1",
    "hmac-sha224",
    "hmac-sha256",
    "hmac-sha256-128",
    "hmac-sha384",
    "hmac-sha384-192",
    "hmac-sha512",
    "hmac-sha512-256",
]
#: Seconds one update or SOA query may take.
TIMEOUT = 10.0
#: CNAMEs followed from ``_acme-challenge`` before giving up.
MAX_CNAME_HOPS = 8
#: Largest update sent over UDP (the classic DNS datagram limit).
UDP_LIMIT = 512
_HOSTNAME = re.compile(r"^(?=.{1,253}\.?$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?)+$")

Transport = Literal["auto", "udp", "tcp"]


class RFC2136Attributes(AttributesModel):
    server: str = Field(description="Host name or IP address of the primary nameserver.")
    port: Annotated[int, Field(ge=1, le=65535)] = Field(
        53, description="Port the nameserver listens on."
    )
    key_name: str = Field(description="Name of the TSIG key allowed to update the zone.")
    key_secret: SecretStr = Field(description="The TSIG key's secret, base64 as in named.conf.")
    key_algorithm: TSIGAlgorithm = Field("hmac-sha256", description="The TSIG key's algorithm.")
    zone: str | None = Field(
        None,
        description="Zone to update; leave empty to find it by asking the server for the SOA.",
    )

    @field_validator("server")
    @classmethod
    def _server(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOSTNAME.match(value):
                raise ValueError(
                    "Must be a host name or an IP address, such as ns1.example.com or 192.0.2.53."
                ) from None
        return value

    @field_validator("key_name", "zone")
    @classmethod
    def _dns_name(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            return dns.name.from_text(value).to_text()
        except dns.exception.DNSException:
            raise ValueError("Must be a DNS name, such as certdesk-key. or example.com.") from None

    @field_validator("key_secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        try:
            decoded = base64.b64decode(value.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(
                "Must be base64, as in the secret line of the key in named.conf."
            ) from None
        if not decoded:
            raise ValueError("Must not be empty.")
        return value


class RFC2136Authenticator(Authenticator):
    """Writes challenge records by dynamic update to one primary nameserver."""

    type: ClassVar[str] = "rfc2136"
    title: ClassVar[str] = "RFC 2136 dynamic update (BIND, Knot, PowerDNS, ...)"
    Attributes: ClassVar[builtins.type[BaseModel]] = RFC2136Attributes
    propagation_timeout: ClassVar[float] = 120.0

    def __init__(
        self, attributes: BaseModel, *, transport: Transport = "auto", timeout: float = TIMEOUT
    ) -> None:
        super().__init__(attributes)
        self.timeout = timeout
        self.attrs: RFC2136Attributes = attributes  # type: ignore[assignment]
        self.transport: Transport = transport
        self._address: str | None = None

    def nameservers(self) -> list[Nameserver] | None:
        return [Nameserver(self.address, self.attrs.port, self.attrs.server)]

    @property
    def address(self) -> str:
        """The server's IP address (a host name is resolved once, by the system)."""
        if self._address is None:
            try:
                ipaddress.ip_address(self.attrs.server)
                self._address = self.attrs.server
            except ValueError:
                try:
                    info = socket.getaddrinfo(self.attrs.server, self.attrs.port)
                except OSError as exc:
                    raise DNSError(
                        f"Could not resolve the rfc2136 server {self.attrs.server}: {exc}"
                    ) from exc
                self._address = str(info[0][4][0])
        return self._address

    def perform(self, record: TXTRecord) -> None:
        self._update(record, delete=False)

    def cleanup(self, record: TXTRecord) -> None:
        self._update(record, delete=True)

    def zone_for(self, fqdn: str) -> dns.name.Name:
        """The configured zone, or the one whose SOA the server reports above ``fqdn``."""
        if self.attrs.zone:
            return dns.name.from_text(self.attrs.zone)
        name = dns.name.from_text(fqdn)
        query = dns.message.make_query(name, dns.rdatatype.SOA)
        query.flags &= ~dns.flags.RD
        response = self._send(query, what=f"the SOA lookup for {fqdn}")
        if response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            for section in (response.answer, response.authority):
                for rrset in section:
                    if rrset.rdtype == dns.rdatatype.SOA and _is_zone_above(name, rrset.name):
                        return rrset.name
        raise DNSError(
            f"The rfc2136 server {self._where()} is not authoritative for any zone above {fqdn} "
            f"({dns.rcode.to_text(response.rcode())}): set the zone attribute or check the server."
        )

    def target_of(self, fqdn: str) -> dns.name.Name:
        """Where the record goes: ``fqdn``, or the end of a CNAME chain the server holds."""
        name = dns.name.from_text(fqdn)
        for _ in range(MAX_CNAME_HOPS):
            query = dns.message.make_query(name, dns.rdatatype.CNAME)
            query.flags &= ~dns.flags.RD
            response = self._send(query, what=f"the CNAME lookup for {name}")
            cname = response.get_rrset(
                response.answer, name, dns.rdataclass.IN, dns.rdatatype.CNAME
            )
            if cname is None or response.rcode() != dns.rcode.NOERROR:
                return name
            name = cname[0].target
        raise DNSError(f"The CNAME chain from {fqdn} is longer than {MAX_CNAME_HOPS} hops.")

    def _update(self, record: TXTRecord, *, delete: bool) -> None:
        name = self.target_of(record.fqdn)
        via = "" if name.to_text() == record.fqdn else f" (CNAME target of {record.fqdn})"
        try:
            zone = self.zone_for(name.to_text())
        except DNSError as exc:
            raise DNSError(exc.message + via) from exc
        if not name.is_subdomain(zone):
            raise DNSError(f"{name}{via} is not in zone {zone}: fix the zone attribute.")
        algorithm = dns.name.from_text(self.attrs.key_algorithm)
        message = dns.update.UpdateMessage(
            zone,
            keyring=dns.tsig.Key(
                self.attrs.key_name, self.attrs.key_secret.get_secret_value(), algorithm
            ),
            keyname=dns.name.from_text(self.attrs.key_name),
            keyalgorithm=algorithm,
        )
        rdata = TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [record.value.encode()])
        if delete:
            message.delete(name.relativize(zone), rdata)
        else:
            message.add(name.relativize(zone), 60, rdata)
        action = "removing" if delete else "adding"
        response = self._send(message, what=f"{action} {name} TXT in zone {zone}{via}")
        rcode = response.rcode()
        if rcode != dns.rcode.NOERROR:
            raise DNSError(_refusal(rcode, self._where(), zone.to_text()))

    def _send(self, message: dns.message.Message, *, what: str) -> dns.message.Message:
        where = self._where()
        use_udp = self.transport == "udp" or (
            self.transport == "auto" and len(message.to_wire()) <= UDP_LIMIT
        )
        try:
            if use_udp:
                try:
                    response = self._udp(message)
                    if not response.flags & dns.flags.TC or self.transport == "udp":
                        return response
                except dns.exception.Timeout:
                    if self.transport == "udp":
                        raise
            return dns.query.tcp(message, self.address, timeout=self.timeout, port=self.attrs.port)
        except dns.tsig.PeerError as exc:
            raise DNSError(
                f"The rfc2136 server {where} refused the TSIG key ({_tsig_error(exc)}) during "
                f"{what}: check key name, secret and algorithm."
            ) from exc
        except dns.tsig.BadSignature as exc:
            raise DNSError(
                f"The answer of the rfc2136 server {where} to {what} failed the TSIG check: "
                "check key name, secret and algorithm."
            ) from exc
        except dns.exception.Timeout as exc:
            raise DNSError(
                f"The rfc2136 server {where} did not answer {what} within {self.timeout:g} s: "
                "check server and port, and that a firewall lets DNS through."
            ) from exc
        except (OSError, dns.exception.DNSException) as exc:
            raise DNSError(f"Could not reach the rfc2136 server {where} for {what}: {exc}") from exc

    def _udp(self, message: dns.message.Message) -> dns.message.Message:
        """One UDP exchange on a connected socket, so that a closed port fails at once (the
        ICMP "port unreachable" reaches a connected socket only) instead of after the timeout."""
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)  # dnspython waits with its own timeout on a given socket
            sock.connect((self.address, self.attrs.port))
            return dns.query.udp(
                message, self.address, timeout=self.timeout, port=self.attrs.port, sock=sock
            )

    def _where(self) -> str:
        return f"{self.attrs.server}:{self.attrs.port}"


def _tsig_error(exc: dns.tsig.PeerError) -> str:
    names = {
        dns.tsig.PeerBadKey: "BADKEY: the server does not know this key name or algorithm",
        dns.tsig.PeerBadSignature: "BADSIG: the signature does not match, a wrong secret",
        dns.tsig.PeerBadTime: "BADTIME: the clocks of this host and the server differ",
        dns.tsig.PeerBadTruncation: "BADTRUNC",
    }
    return names.get(type(exc), type(exc).__name__)


def _refusal(rcode: dns.rcode.Rcode, where: str, zone: str) -> str:
    words = {
        dns.rcode.REFUSED: "refused the update (REFUSED): check that the key may update this "
        "zone (allow-update or update-policy)",
        dns.rcode.NOTAUTH: "is not authoritative for the zone or did not accept the TSIG key "
        "(NOTAUTH): check the zone, key name, secret and algorithm",
        dns.rcode.NOTZONE: "says the name is outside the zone (NOTZONE): check the zone attribute",
        dns.rcode.SERVFAIL: "failed to apply the update (SERVFAIL): see the server's log",
    }
    text = words.get(rcode, f"answered {dns.rcode.to_text(rcode)}")
    return f"The rfc2136 server {where} {text}; zone {zone}."


def _is_zone_above(name: dns.name.Name, zone: dns.name.Name) -> bool:
    """A real zone holding ``name`` (never the root: no one updates the root zone)."""
    return zone != dns.name.root and name.is_subdomain(zone)
