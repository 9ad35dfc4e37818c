"""Benchmark: the REST API over loopback HTTP, one run.

* Sequential P-256 CSR creations through ``POST /api/v1/csrs`` (validation, key generation,
  signing, encrypted storage, audit, files on disk, JSON both ways) next to raw ``cryptography``
  doing only the same key generation and CSR signing. They run in batches, each batch's rate is
  printed and the median batch is the result, as this shared machine has slow spells of a
  minute or more.
* List latency with 100,000 CSRs in SQLite: ``GET /api/v1/csrs?limit=50`` (first page and deep
  pages) and with a search term. The rows are inserted through SQLAlchemy core, not the API.

The server is a real ``certdesk serve`` in its own process (so client and server do not share a
GIL), on SQLite in a temporary data directory.

    .venv/bin/python bench/api.py [--batches 5] [--creations 200] [--rows 100000]
        [--requests 200] [--work-dir DIR]

Goals: at least 200 creations per second; list p95 under 50 ms at 100,000 rows.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from scratch import default_work_dir, file_creation_ms, scratch_dir
from sqlalchemy import insert

from certdesk.services import auth
from certdesk.services.context import AppContext
from certdesk.settings import Settings
from certdesk.storage.models import CSRRow

HOST = "127.0.0.1"


class Client:
    """One keep-alive connection through the standard library's ``http.client``: the leanest
    sequential client, so the figures are the server's (httpx costs about 1 ms a request of
    its own on the same two CPUs; its rate is printed too)."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(
        self, method: str, path: str, body: object = None, params: dict[str, object] | None = None
    ) -> tuple[int, bytes]:
        url = f"/api/v1{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        payload = json.dumps(body).encode() if body is not None else None
        try:
            self.connection.request(method, url, body=payload, headers=self.headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if method != "GET":
                raise
            # The server closed the idle keep-alive connection (uvicorn does after 5 s).
            self.connection.close()
            self.connection.request(method, url, body=payload, headers=self.headers)
            response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTDESK_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "certdesk.cli.main",
            "--data-dir",
            str(data_dir),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/api/v1/health").status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise SystemExit("certdesk serve exited during start-up")
        time.sleep(0.05)
    process.terminate()
    raise SystemExit("certdesk serve did not answer within 60 s")


def create_body(i: int) -> dict[str, object]:
    return {
        "name": f"bench-{i}",
        "create_type": "CERTIFICATE_CREATE_CSR",
        "key_type": "EC",
        "ec_curve": "SECP256R1",
        "digest_algorithm": "SHA256",
        "common": f"bench-{i}.example.com",
        "san": [f"DNS:bench-{i}.example.com"],
    }


def raw_csr(i: int) -> bytes:
    """What the API does at its core: a P-256 key and a signed CSR, as PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = f"bench-{i}.example.com"
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def bench_creations(api: Client, n: int, first: int = 0) -> tuple[float, list[float]]:
    """Creations per second and each one's latency, for ``n`` sequential creations."""
    for i in range(5):  # warm-up
        status, body = api.request("POST", "/csrs", create_body(-1 - i - first))
        if status != 201:
            raise SystemExit(f"warm-up creation failed: {status} {body[:300]!r}")
    latencies = []
    start = time.perf_counter()
    for i in range(first, first + n):
        t = time.perf_counter()
        status, body = api.request("POST", "/csrs", create_body(i))
        latencies.append(time.perf_counter() - t)
        if status != 201:
            raise SystemExit(f"creation {i} failed: {status} {body[:300]!r}")
    return n / (time.perf_counter() - start), latencies


def bench_httpx_creations(port: int, token: str, n: int, first: int) -> float:
    """The same creations with httpx as the client, for comparison."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"http://{HOST}:{port}/api/v1", headers=headers, timeout=60) as api:
        for i in range(5):
            api.post("/csrs", json=create_body(-1 - i - first)).raise_for_status()
        start = time.perf_counter()
        for i in range(first, first + n):
            if api.post("/csrs", json=create_body(i)).status_code != 201:
                raise SystemExit(f"creation {i} failed")
        return n / (time.perf_counter() - start)


def bench_raw(n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        raw_csr(i)
    return n / (time.perf_counter() - start)


def fill(settings: Settings, rows: int) -> float:
    """Insert ``rows`` CSRs through SQLAlchemy core (one CSR PEM and one sealed key reused)."""
    ctx = AppContext.open(settings)
    try:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = raw_csr(0).decode()
        sealed = ctx.box.encrypt(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        now = datetime.now(UTC)
        start = time.perf_counter()
        batch = 10_000
        with ctx.db.engine.begin() as connection:
            for first in range(0, rows, batch):
                values = []
                for i in range(first, min(first + batch, rows)):
                    name, common = f"row-{i}", f"host{i}.example.com"
                    sans = (f"DNS:host{i}.example.com", f"DNS:alt{i}.example.net")
                    values.append(
                        {
                            "name": name,
                            "csr_pem": pem,
                            "private_key_enc": sealed,
                            "key_type": "EC",
                            "key_length": None,
                            "ec_curve": "SECP256R1",
                            "digest_algorithm": "SHA256",
                            "common": common,
                            "san_text": ", ".join(sans),
                            "search_text": "\n".join((name, common, *sans)).lower(),
                            "source": "created",
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                connection.execute(insert(CSRRow), values)
        return time.perf_counter() - start
    finally:
        ctx.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_list(api: Client, requests: int, rows: int) -> dict[str, list[float]]:
    cases: dict[str, Callable[[], dict[str, object]]] = {
        "first page": lambda: {"limit": 50},
        "deep page": lambda: {"limit": 50, "offset": random.randrange(0, rows - 50)},
        "search, 1 match": lambda: {"limit": 50, "search": f"host{random.randrange(rows)}."},
        "search, all match": lambda: {"limit": 50, "search": "example"},
    }
    results: dict[str, list[float]] = {}
    for label, params in cases.items():
        for _ in range(5):
            api.request("GET", "/csrs", params=params())
        times = []
        for _ in range(requests):
            t = time.perf_counter()
            status, body = api.request("GET", "/csrs", params=params())
            times.append(time.perf_counter() - t)
            if status != 200:
                raise SystemExit(f"list failed: {status} {body[:300]!r}")
        results[label] = times
    status, body = api.request("GET", "/csrs", params={"limit": 1})
    total = json.loads(body)["total"]
    assert total >= rows, total
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creations", type=int, default=200, help="creations per batch")
    parser.add_argument("--batches", type=int, default=5, help="batches of creations")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help=f"where the temporary data directory goes (default: {default_work_dir()})",
    )
    args = parser.parse_args()
    random.seed(1)

    with scratch_dir(args.work_dir) as tmp:
        creation = file_creation_ms(Path(tmp))
        data_dir = Path(tmp) / "data"
        settings = Settings(data_dir=data_dir)
        ctx = AppContext.open(settings)
        try:
            auth.add_or_reset_user(ctx, "bench", "bench password")
            token, _ = auth.create_token(ctx, "bench", "bench")
        finally:
            ctx.close()
        port = free_port()
        server = start_server(data_dir, port)
        try:
            api = Client(port, token)
            try:
                rates: list[float] = []
                latencies: list[float] = []
                for batch in range(args.batches):
                    rate, batch_latencies = bench_creations(
                        api, args.creations, first=batch * (args.creations + 10)
                    )
                    rates.append(rate)
                    latencies.extend(batch_latencies)
                api_rate = statistics.median(rates)
                httpx_rate = bench_httpx_creations(
                    port, token, args.creations, args.batches * (args.creations + 10)
                )
                raw_rate = bench_raw(args.creations)
                fill_seconds = fill(settings, args.rows)
                lists = bench_list(api, args.requests, args.rows)
            finally:
                api.close()
        finally:
            server.terminate()
            server.wait(timeout=30)

    load = os.getloadavg()[0]
    print(
        f"certdesk API benchmark ({os.cpu_count()} CPUs, load average {load:.1f}; creating a "
        f"file in the data directory's parent took {creation:.3f} ms)\n"
    )
    print(
        f"| P-256 CSR creation ({args.batches} batches of {args.creations} sequential, one "
        "keep-alive connection) | per second | p50 ms | p95 ms |"
    )
    print("|---|---:|---:|---:|")
    print(
        f"| POST /api/v1/csrs over loopback HTTP, median batch | {api_rate:.0f} | "
        f"{statistics.median(latencies) * 1000:.1f} | {percentile(latencies, 95) * 1000:.1f} |"
    )
    print(f"| each batch | {', '.join(f'{rate:.0f}' for rate in rates)} | | |")
    print(f"| the same with httpx as the client | {httpx_rate:.0f} | | |")
    print(f"| raw cryptography (key + CSR) | {raw_rate:.0f} | | |")
    print(f"\n{args.rows:,} CSRs inserted through SQLAlchemy core in {fill_seconds:.1f} s\n")
    print(
        f"| GET /api/v1/csrs at {args.rows:,} rows ({args.requests} requests) "
        "| p50 ms | p95 ms | max ms |"
    )
    print("|---|---:|---:|---:|")
    for label, times in lists.items():
        print(
            f"| {label} | {statistics.median(times) * 1000:.1f} | "
            f"{percentile(times, 95) * 1000:.1f} | {max(times) * 1000:.1f} |"
        )
    creations_met = "met" if api_rate >= 200 else "NOT met"
    list_met = "met" if all(percentile(t, 95) < 0.05 for t in lists.values()) else "NOT met"
    print(f"\nGoals: >= 200 creations/s ({creations_met}); list p95 < 50 ms ({list_met}).")


if __name__ == "__main__":
    main()
