"""A scripted ACME server for the cases Pebble cannot be made to produce on demand: runs of
badNonce, 5xx pages, ``Retry-After``, rate limits, odd directories, ARI. It is a real HTTPS server
on a loopback port (its own throwaway CA, trusted through ``ca_pem``) that answers each
``(method, path)`` with the replies queued for it (the last one repeats) and records every
request, so tests assert what the client sent. Every answer carries a fresh ``Replay-Nonce``."""

from __future__ import annotations

import datetime
import ipaddress
import json
import secrets
import ssl
import tempfile
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import josepy as jose
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def problem(cls, status: int, code: str, detail: str, **headers: str) -> Reply:
        body = {"type": f"urn:ietf:params:acme:error:{code}", "detail": detail, "status": status}
        return cls(status, body, {"Content-Type": "application/problem+json", **headers})


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    def jws_protected(self) -> dict[str, Any]:
        """The decoded protected header of a JWS request body."""
        protected = json.loads(self.body)["protected"]
        return dict(json.loads(jose.b64decode(protected)))

    def jws_payload(self) -> dict[str, Any]:
        payload = json.loads(self.body)["payload"]
        return dict(json.loads(jose.b64decode(payload))) if payload else {}


def _tls_files(directory: Path) -> tuple[str, Path, Path]:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scripted ACME test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.IPv4Address(LOOPBACK))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca.public_bytes(serialization.Encoding.PEM).decode(), cert_path, key_path


class ScriptedCA:
    """The server; ``start()`` it, ``script()`` replies, read ``requests``, ``stop()`` it."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="certdesk-scripted-ca-")
        self.ca_pem, cert, key = _tls_files(Path(self._tmp.name))
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert, key)
        self._replies: dict[tuple[str, str], list[Reply]] = defaultdict(list)
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((LOOPBACK, 0), self._handler_class())
        self._server.socket = self._context.wrap_socket(self._server.socket, server_side=True)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.script("HEAD", "/new-nonce", Reply(200))
        self.script("GET", "/dir", Reply(200, self.directory()))

    def url(self, path: str) -> str:
        return f"https://{LOOPBACK}:{self.port}{path}"

    @property
    def directory_url(self) -> str:
        return self.url("/dir")

    def directory(self, **extra: Any) -> dict[str, Any]:
        """A directory pointing at this server; ``extra`` adds or replaces top-level keys."""
        body: dict[str, Any] = {
            "newNonce": self.url("/new-nonce"),
            "newAccount": self.url("/new-acct"),
            "newOrder": self.url("/new-order"),
            "revokeCert": self.url("/revoke-cert"),
            "keyChange": self.url("/key-change"),
            "meta": {"termsOfService": self.url("/terms")},
        }
        body.update(extra)
        return body

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Answer ``method path`` with ``replies`` in turn, the last one from then on."""
        with self._lock:
            self._replies[(method, path)] = list(replies)

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def start(self) -> ScriptedCA:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._tmp.cleanup()

    def _next(self, method: str, path: str) -> Reply:
        with self._lock:
            queue = self._replies.get((method, path))
            if not queue:
                return Reply.problem(404, "malformed", f"nothing scripted for {method} {path}")
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        ca = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, with_body: bool) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                ca.requests.append(
                    Recorded(self.command, self.path, dict(self.headers.items()), body)
                )
                reply = ca._next(self.command, self.path)
                payload = reply.body
                if isinstance(payload, dict | list):
                    data = json.dumps(payload).encode()
                    content_type = "application/json"
                elif isinstance(payload, str):
                    data = payload.encode()
                    content_type = "text/html"
                else:
                    data = payload or b""
                    content_type = "application/octet-stream"
                self.send_response(reply.status)
                headers = {"Content-Type": content_type, **reply.headers}
                headers["Replay-Nonce"] = jose.b64encode(secrets.token_bytes(16)).decode()
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if with_body:
                    self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer(True)

            def do_POST(self) -> None:
                self._answer(True)

            def do_HEAD(self) -> None:
                self._answer(False)

        return Handler
