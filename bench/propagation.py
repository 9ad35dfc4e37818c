"""Benchmark: from "records written" to "visible on every nameserver", for 1, 10 and 50 records.

Starts BIND9 on loopback with the test fixtures' helper, writes N challenge records with the
``rfc2136`` authenticator, then times certdesk's propagation checker until every record is
confirmed on every nameserver — once with the nameserver the authenticator names, once with the
zone's authoritative nameservers found through a resolver (SOA walk, NS, addresses). Printed next
to what the usual tools spend waiting for the same thing: certbot-dns-rfc2136's default fixed
wait (60 s, once per run), lego's documented behaviour (2 s initial sleep, then one authorization
after another) and TrueNAS (a fixed 60 s per domain, one after another).

    .venv/bin/python bench/propagation.py [--sizes 1 10 50] [--rounds 3]

Goal: 50 records visible and confirmed in under 1 s on loopback.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.bind import BindFactory, BindServer

from certdesk.dns.base import TXTRecord
from certdesk.dns.propagation import PropagationChecker
from certdesk.dns.rfc2136 import RFC2136Authenticator

CERTBOT_RFC2136_WAIT = 60.0
LEGO_INITIAL_SLEEP = 2.0
TRUENAS_WAIT_PER_DOMAIN = 60.0


def _authenticator(bind: BindServer) -> RFC2136Authenticator:
    attributes = RFC2136Authenticator.validate_attributes(
        {
            "server": bind.host,
            "port": bind.port,
            "key_name": bind.tsig_name,
            "key_secret": bind.tsig_secret,
            "zone": "certdesk.test.",
        }
    )
    return RFC2136Authenticator(attributes)


def _one_round(bind: BindServer, size: int) -> tuple[float, float, float]:
    """(write seconds, check seconds with named nameserver, check seconds with discovery)."""
    auth = _authenticator(bind)
    records = [
        TXTRecord.for_domain(
            f"b{i}-{secrets.token_hex(3)}.certdesk.test", secrets.token_urlsafe(32)
        )
        for i in range(size)
    ]
    started = time.perf_counter()
    for record in records:
        auth.perform(record)
    written = time.perf_counter() - started
    try:
        named = auth.nameservers() or []
        direct = PropagationChecker().check(
            records, nameservers={r.fqdn: named for r in records}, timeout=30
        )
        discovering = PropagationChecker(resolvers=[bind.address], nameserver_port=bind.port)
        found = discovering.check(records, timeout=30)
        assert direct.ok and found.ok
        return written, direct.seconds, found.seconds
    finally:
        for record in records:
            auth.cleanup(record)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--rounds", type=int, default=3, help="median of this many runs")
    args = parser.parse_args(argv)

    factory = BindFactory()
    try:
        bind = factory.start(zones=("certdesk.test.",))
        _one_round(bind, 1)  # warm-up: imports, first sockets
        rows = []
        for size in args.sizes:
            runs = [_one_round(bind, size) for _ in range(args.rounds)]
            rows.append(
                (
                    size,
                    statistics.median(r[0] for r in runs),
                    statistics.median(r[1] for r in runs),
                    statistics.median(r[2] for r in runs),
                )
            )
    finally:
        factory.stop_all()

    print(f"BIND9 on loopback, median of {args.rounds} runs; seconds from records written")
    print("to visible and confirmed on every nameserver (writing time shown separately).\n")
    header = (
        "| records | write (rfc2136) | certdesk, named ns | certdesk, NS discovery "
        "| certbot-dns-rfc2136 default | lego (2 s sleep, sequential) | TrueNAS (60 s each) |"
    )
    print(header)
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size, write, direct, found in rows:
        print(
            f"| {size} | {write:.3f} | {direct:.3f} | {found:.3f} | {CERTBOT_RFC2136_WAIT:.0f} "
            f"| ≥ {LEGO_INITIAL_SLEEP * size:.0f} | {TRUENAS_WAIT_PER_DOMAIN * size:.0f} |"
        )
    worst = max((r for r in rows if r[0] == max(args.sizes)), key=lambda r: max(r[2], r[3]))
    goal = max(worst[2], worst[3]) < 1.0
    print(f"\nGoal (≤ 1 s for {worst[0]} records): {'met' if goal else 'NOT met'}")
    return 0 if goal else 1


if __name__ == "__main__":
    raise SystemExit(main())
