"""A local stand-in for api.cloudflare.com that records and checks every request.

lexicon's cloudflare provider has its API URL hard-coded (``https://api.cloudflare.com/client/v4``)
and sends through ``requests``, which honours the standard ``HTTPS_PROXY`` and
``REQUESTS_CA_BUNDLE`` variables. So the provider runs unchanged: this server is the HTTPS proxy;
it accepts ``CONNECT api.cloudflare.com:443``, terminates TLS with a certificate for
api.cloudflare.com issued by a throwaway CA (which the test makes ``REQUESTS_CA_BUNDLE``), and
answers the few Cloudflare v4 API calls the provider makes — zones, list/create/delete DNS records
— keeping the records in memory and refusing requests without the expected auth headers.
"""

from __future__ import annotations

import datetime
import json
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

API_HOST = "api.cloudflare.com"
PREFIX = "/client/v4"


@dataclass
class SeenRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeCloudflare:
    """The fake API's state; ``expected_headers`` must be on every request or it answers 403."""

    zone_name: str
    expected_headers: dict[str, str]
    zone_id: str = field(default_factory=lambda: secrets.token_hex(16))
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[SeenRequest] = field(default_factory=list)
    tunnels: list[str] = field(default_factory=list)
    refused_tunnels: list[str] = field(default_factory=list)

    def answer(self, seen: SeenRequest) -> tuple[int, dict[str, Any]]:
        self.requests.append(seen)
        if any(seen.headers.get(k) != v for k, v in self.expected_headers.items()):
            return 403, {
                "success": False,
                "errors": [{"code": 10000, "message": "Authentication error"}],
            }
        zone_records = f"{PREFIX}/zones/{self.zone_id}/dns_records"
        if seen.method == "GET" and seen.path == f"{PREFIX}/zones":
            zones = [{"id": self.zone_id, "name": self.zone_name}]
            return 200, _page(zones)
        if seen.method == "GET" and seen.path == zone_records:
            wanted = {k: seen.query[k] for k in ("type", "name", "content") if k in seen.query}
            found = [r for r in self.records.values() if all(r[k] == v for k, v in wanted.items())]
            return 200, _page(found)
        if seen.method == "POST" and seen.path == zone_records:
            record = {"id": secrets.token_hex(16), "ttl": seen.body.get("ttl", 1), **seen.body}
            self.records[record["id"]] = record
            return 200, {"success": True, "errors": [], "result": record}
        if seen.method == "DELETE" and seen.path.startswith(zone_records + "/"):
            record_id = seen.path.rsplit("/", 1)[1]
            if self.records.pop(record_id, None) is None:
                return 404, {
                    "success": False,
                    "errors": [{"code": 81044, "message": "Record not found"}],
                }
            return 200, {"success": True, "errors": [], "result": {"id": record_id}}
        return 404, {"success": False, "errors": [{"code": 7003, "message": "No route"}]}


def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "success": True,
        "errors": [],
        "result": items,
        "result_info": {"page": 1, "per_page": 100, "total_pages": 1, "count": len(items)},
    }


class _SocketWriter:
    closed = False

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self.sock = sock

    def write(self, data: bytes) -> int:
        self.sock.sendall(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def make_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for api.cloudflare.com and the path of the CA that issued it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "certdesk test proxy CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, API_HOST)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(API_HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path = directory / "server.pem"
    cert_path.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path)
    return context, ca_path


def serve(fake: FakeCloudflare, context: ssl.SSLContext) -> ThreadingHTTPServer:
    """Start the proxy + fake API on a free loopback port in a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_CONNECT(self) -> None:
            if self.path != f"{API_HOST}:443":
                # Anything else (tldextract fetching the public suffix list) is not Cloudflare.
                fake.refused_tunnels.append(self.path)
                self.send_error(502, "only api.cloudflare.com is served here")
                return
            fake.tunnels.append(self.path)
            self.send_response(200, "Connection established")
            self.end_headers()
            tls = context.wrap_socket(self.connection, server_side=True)
            self.connection = tls
            self.rfile = tls.makefile("rb")
            self.wfile = _SocketWriter(tls)  # type: ignore[assignment]
            self.close_connection = False

        def _api(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            seen = SeenRequest(
                self.command,
                url.path,
                dict(parse_qsl(url.query)),
                {k: v for k, v in self.headers.items()},
                json.loads(raw) if raw else None,
            )
            status, payload = fake.answer(seen)
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _api

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="fake-cloudflare", daemon=True).start()
    return server
