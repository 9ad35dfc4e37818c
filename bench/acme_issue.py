"""Benchmark: ACME DNS-01 issuance end to end, certdesk against certbot and lego, one run.

Starts BIND9 and Pebble (no random validation delay, no authorization reuse) with the test
fixtures' helpers, then times:

* certdesk: the API call ``POST /certificates/acme`` until its job reports SUCCESS (a live
  server on SQLite, rfc2136 authenticator, the job's own propagation check) — one certificate
  with two names (the first order also registers the account), then 20 certificates back to back
  and 20 at once;
* certbot from PyPI (``certonly --csr`` with certbot-dns-rfc2136), installed into a separate
  venv under /tmp (skipped, with a line saying so, when it cannot be installed), at its default
  propagation wait and at ``--dns-rfc2136-propagation-seconds 0``;
* lego (``/usr/bin/lego``, rfc2136 provider, ``--dns.disable-cp``) where installed.

    .venv/bin/python bench/acme_issue.py [--skip-certbot] [--skip-lego] [--workers 8]

Goals: one certificate in under 0.5 s; 20 certificates in under 5 s.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.bind import BindFactory, BindServer
from tests.fixtures.live_server import LiveServer, run_live_server
from tests.fixtures.pebble import DEFAULT_ENV, PebbleFactory, PebbleServer

from certdesk.services import authenticators, csrs
from certdesk.services.authenticator_schemas import AuthenticatorCreate
from certdesk.services.context import Actor
from certdesk.services.schemas import CSRCreate
from certdesk.settings import Settings

CERTBOT_VENV = Path(tempfile.gettempdir()) / "certdesk-bench-certbot"
LEGO = Path("/usr/bin/lego")
ACTOR = Actor("bench", "bench")
GOAL_ONE = 0.5
GOAL_TWENTY = 5.0


@dataclass
class Row:
    tool: str
    case: str
    seconds: float | None
    note: str = ""


def _domains(count: int = 2) -> list[str]:
    base = secrets.token_hex(4)
    return [f"b{base}-{i}.certdesk.test" for i in range(count)]


# -- certdesk -----------------------------------------------------------------------------------


class Certdesk:
    def __init__(self, server: LiveServer, pebble: PebbleServer, bind: BindServer) -> None:
        self.server = server
        self.pebble = pebble
        self.ca_bundle = Path(pebble.ca_bundle).read_text()
        self.client = server.client()
        self.auth_id = authenticators.create(
            server.ctx,
            AuthenticatorCreate(
                name="bench-bind",
                type="rfc2136",
                attributes={
                    "server": bind.host,
                    "port": bind.port,
                    "key_name": bind.tsig_name,
                    "key_secret": bind.tsig_secret,
                },
            ),
            ACTOR,
        ).id

    def prepare(self) -> tuple[str, dict[str, object]]:
        """A CSR for two fresh names and the request body (made before the clock starts)."""
        names = _domains()
        csr = csrs.create(
            self.server.ctx,
            CSRCreate(
                name=f"csr-{secrets.token_hex(4)}",
                key_type="EC",
                ec_curve="SECP256R1",
                digest_algorithm="SHA256",
                common=names[0],
                san=[f"DNS:{n}" for n in names],
            ),
            ACTOR,
        )
        name = f"cert-{secrets.token_hex(4)}"
        return name, {
            "name": name,
            "csr_id": csr.id,
            "tos": True,
            "acme_directory_uri": self.pebble.directory_url,
            "ca_bundle": self.ca_bundle,
            "dns_mapping": {n: self.auth_id for n in names},
        }

    def start(self, client: httpx.Client, body: dict[str, object]) -> int:
        response = client.post("/certificates/acme", json=body)
        response.raise_for_status()
        return int(response.json()["job_id"])

    def wait(self, client: httpx.Client, job_id: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            job = client.get(f"/jobs/{job_id}").json()
            if job["state"] == "SUCCESS":
                return
            if job["state"] in ("FAILED", "ABORTED"):
                raise RuntimeError(f"job {job_id} failed: {job['error']}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"job {job_id} did not finish in {timeout} s")
            time.sleep(0.02)

    def one(self) -> float:
        _, body = self.prepare()
        started = time.perf_counter()
        self.wait(self.client, self.start(self.client, body))
        return time.perf_counter() - started

    def back_to_back(self, count: int) -> float:
        bodies = [self.prepare()[1] for _ in range(count)]
        started = time.perf_counter()
        for body in bodies:
            self.wait(self.client, self.start(self.client, body))
        return time.perf_counter() - started

    def concurrently(self, count: int) -> float:
        bodies = [self.prepare()[1] for _ in range(count)]
        started = time.perf_counter()
        job_ids = [self.start(self.client, body) for body in bodies]

        def wait(job_id: int) -> None:
            with self.server.client() as client:
                self.wait(client, job_id)

        with ThreadPoolExecutor(max_workers=count) as pool:
            list(pool.map(wait, job_ids))
        return time.perf_counter() - started


# -- certbot ------------------------------------------------------------------------------------


def _certbot() -> Path | None:
    exe = CERTBOT_VENV / "bin" / "certbot"
    if exe.exists():
        return exe
    try:
        subprocess.run([sys.executable, "-m", "venv", str(CERTBOT_VENV)], check=True)
        subprocess.run(
            [str(CERTBOT_VENV / "bin" / "pip"), "install", "-q", "certbot", "certbot-dns-rfc2136"],
            check=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"certbot skipped: it could not be installed into {CERTBOT_VENV} ({exc})")
        return None
    return exe if exe.exists() else None


def _csr_file(directory: Path, names: list[str]) -> Path:
    key = directory / "key.pem"
    csr = directory / "csr.der"
    subprocess.run(
        ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key)],
        check=True,
    )
    san = ",".join(f"DNS:{n}" for n in names)
    subprocess.run(
        ["openssl", "req", "-new", "-key", str(key), "-subj", f"/CN={names[0]}",
         "-addext", f"subjectAltName={san}", "-outform", "DER", "-out", str(csr)],
        check=True,
    )  # fmt: skip
    return csr


def certbot_once(exe: Path, pebble: PebbleServer, bind: BindServer, wait: int | None) -> float:
    work = Path(tempfile.mkdtemp(prefix="certdesk-bench-certbot-run-"))
    try:
        creds = work / "rfc2136.ini"
        creds.write_text(
            f"dns_rfc2136_server = {bind.host}\n"
            f"dns_rfc2136_port = {bind.port}\n"
            f"dns_rfc2136_name = {bind.tsig_name}\n"
            f"dns_rfc2136_secret = {bind.tsig_secret}\n"
            "dns_rfc2136_algorithm = HMAC-SHA256\n"
        )
        creds.chmod(0o600)
        csr = _csr_file(work, _domains())
        command = [
            str(exe), "certonly", "--non-interactive", "--agree-tos",
            "--register-unsafely-without-email", "--server", pebble.directory_url,
            "--csr", str(csr), "--dns-rfc2136", "--dns-rfc2136-credentials", str(creds),
            "--config-dir", str(work / "config"), "--work-dir", str(work / "work"),
            "--logs-dir", str(work / "logs"), "--cert-path", str(work / "cert.pem"),
            "--fullchain-path", str(work / "fullchain.pem"),
            "--chain-path", str(work / "chain.pem"),
        ]  # fmt: skip
        if wait is not None:
            command += ["--dns-rfc2136-propagation-seconds", str(wait)]
        env = {**os.environ, "REQUESTS_CA_BUNDLE": str(pebble.ca_bundle)}
        # certbot registers its account first; that is not what is measured.
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(f"certbot failed: {result.stderr[-2000:]}")
        return elapsed
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- lego ---------------------------------------------------------------------------------------


def lego_once(pebble: PebbleServer, bind: BindServer) -> float:
    work = Path(tempfile.mkdtemp(prefix="certdesk-bench-lego-"))
    try:
        csr = _csr_file(work, _domains())
        env = {
            **os.environ,
            "LEGO_CA_CERTIFICATES": str(pebble.ca_bundle),
            "RFC2136_NAMESERVER": bind.address,
            "RFC2136_TSIG_KEY": bind.tsig_name,
            "RFC2136_TSIG_SECRET": bind.tsig_secret,
            "RFC2136_TSIG_ALGORITHM": "hmac-sha256.",
        }
        command = [
            str(LEGO), "--server", pebble.directory_url, "--email", "bench@example.org",
            "--accept-tos", "--dns", "rfc2136", "--dns.disable-cp", "--csr", str(csr),
            "--path", str(work / "lego"), "run",
        ]  # fmt: skip
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(f"lego failed: {result.stderr[-2000:]}")
        return elapsed
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- main ---------------------------------------------------------------------------------------


def _measure(
    rows: list[Row], tool: str, case: str, fn: Callable[[], float], note: str = ""
) -> None:
    try:
        seconds = fn()
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        rows.append(Row(tool, case, None, f"failed: {str(exc).splitlines()[0][:120]}"))
        return
    rows.append(Row(tool, case, seconds, note))
    print(f"  {tool:10} {case:44} {seconds:8.3f} s {note}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-certbot", action="store_true")
    parser.add_argument("--skip-lego", action="store_true")
    parser.add_argument("--workers", type=int, default=8, help="certdesk job worker threads")
    parser.add_argument("--count", type=int, default=20, help="certificates in the batch cases")
    args = parser.parse_args(argv)

    binds = BindFactory()
    rows: list[Row] = []
    data_dir = Path(tempfile.mkdtemp(prefix="certdesk-bench-data-"))
    try:
        bind = binds.start()
        pebbles = PebbleFactory(bind)
        try:
            pebble = pebbles.start(env=DEFAULT_ENV)
            settings = Settings(data_dir=data_dir, propagation_interval=0.02, workers=args.workers)
            with run_live_server(settings) as server:
                desk = Certdesk(server, pebble, bind)
                _measure(rows, "certdesk", "1 cert, 2 names (registers the account)", desk.one)
                ones = [desk.one() for _ in range(5)]
                rows.append(
                    Row("certdesk", "1 cert, 2 names (median of 5)", statistics.median(ones))
                )
                print(f"  certdesk   1 cert, 2 names: {', '.join(f'{s:.3f}' for s in ones)}")
                _measure(
                    rows,
                    "certdesk",
                    f"{args.count} certs back to back",
                    lambda: desk.back_to_back(args.count),
                )
                _measure(
                    rows,
                    "certdesk",
                    f"{args.count} certs at once ({args.workers} workers)",
                    lambda: desk.concurrently(args.count),
                )
            if not args.skip_certbot and (exe := _certbot()) is not None:
                _measure(
                    rows,
                    "certbot",
                    "1 cert, 2 names, default propagation wait",
                    lambda: certbot_once(exe, pebble, bind, None),
                )
                _measure(
                    rows,
                    "certbot",
                    "1 cert, 2 names, --dns-rfc2136-propagation-seconds 0",
                    lambda: certbot_once(exe, pebble, bind, 0),
                )
            if not args.skip_lego:
                if LEGO.exists():
                    _measure(
                        rows,
                        "lego",
                        "1 cert, 2 names, rfc2136, --dns.disable-cp",
                        lambda: lego_once(pebble, bind),
                    )
                else:
                    print(f"lego skipped: {LEGO} is not installed")
        finally:
            pebbles.stop_all()
    finally:
        binds.stop_all()
        shutil.rmtree(data_dir, ignore_errors=True)

    print()
    print("| tool | case | seconds |")
    print("|---|---|---:|")
    for row in rows:
        value = f"{row.seconds:.3f}" if row.seconds is not None else "—"
        print(f"| {row.tool} | {row.case} | {value} {row.note}".rstrip() + " |")
    ok = True
    for row in rows:
        if row.tool != "certdesk" or row.seconds is None:
            continue
        goal = GOAL_ONE if row.case.startswith("1 cert") and "median" in row.case else None
        if "certs" in row.case:
            goal = GOAL_TWENTY
        if goal is not None and row.seconds > goal:
            ok = False
            print(f"goal missed: certdesk {row.case} took {row.seconds:.3f} s (goal {goal} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
