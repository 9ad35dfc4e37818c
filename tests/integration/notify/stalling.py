"""A webhook receiver the test controls: each POST is recorded at once, then held until
``release`` is set (a hung receiver), and answered 503 until ``healthy`` is set (a receiver that
is down) — so tests can show that nothing waits for it but the delivery worker."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fixtures._process import LOOPBACK

#: Seconds a held request waits for ``release`` at most, so a failing test cannot hang.
HOLD_LIMIT = 30.0


@dataclass
class StallingReceiver:
    url: str = ""
    release: threading.Event = field(default_factory=threading.Event)
    healthy: threading.Event = field(default_factory=threading.Event)
    bodies: list[Any] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_requests(self, count: int, timeout: float = 10.0) -> bool:
        """Wait (on a condition, no polling) until ``count`` POSTs have arrived."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.bodies) >= count, timeout)

    def certificates(self) -> list[list[str]]:
        """The certificate names of each POST's alerts, in arrival order."""
        with self.arrived:
            return [[a["certificate"] for a in body["alerts"]] for body in self.bodies]


@contextmanager
def stalling_receiver(*, held: bool = True, healthy: bool = True) -> Iterator[StallingReceiver]:
    receiver = StallingReceiver()
    if not held:
        receiver.release.set()
    if healthy:
        receiver.healthy.set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with receiver.arrived:
                receiver.bodies.append(json.loads(body))
                receiver.arrived.notify_all()
            receiver.release.wait(HOLD_LIMIT)
            self.send_response(200 if receiver.healthy.is_set() else 503)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        block_on_close = False

    server = Server((LOOPBACK, 0), Handler)
    receiver.url = f"http://{LOOPBACK}:{server.server_address[1]}/hooks/T0/secret-token"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
