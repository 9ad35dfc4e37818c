"""Benchmark: one renewal sweep over 10,000 certificates of which 100 are due, on SQLite.

Builds a fresh data directory (schema through the migrations), inserts the certificate rows with
SQLAlchemy core in one ``executemany``, and times:

1. **cold sweep** — no row has a plan yet (``renew_at`` NULL, as right after an upgrade): the
   sweep decides for every certificate, writes every plan and returns the due ones;
2. **warm sweep** — plans stored: the sweep reads only the due rows through the ``renew_at``
   index (what ``certdesk serve`` does every minute);
3. **scheduler sweep** — what ``certdesk serve`` runs each minute: retries planned after
   failures, the due ones found, one renewal job enqueued for each of the 100 (the job rows
   are deleted again between rounds), and the alerts of the moment read;
4. **naive full scan** for comparison — read every row's plan columns and call
   ``decide_renewal`` on each (what a scheduler without stored plans would do on every wake-up).

Wall-clock and CPU time are both printed: on a shared machine the CPU time is the steadier one.

    .venv/bin/python bench/renewal_sweep.py [--certificates 10000] [--due 100] [--rounds 5]

Goal: the warm sweep well under 50 ms, so a one-minute wake-up (fine for 6-day certificates)
costs nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, insert, select, update

from certdesk.clock import FrozenClock
from certdesk.services.context import AppContext
from certdesk.services.renewal_plans import PLAN_COLUMNS, decide_for
from certdesk.services.renewal_policy import DEFAULT_POLICY
from certdesk.services.renewal_sweep import due_certificates
from certdesk.services.scheduler import RenewalScheduler
from certdesk.settings import Settings
from certdesk.storage.models import CertificateRow, JobRow

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _rows(count: int, due: int, key_enc: str, rng: random.Random) -> list[dict[str, object]]:
    """``count`` 90-day certificates with 10 renew days; ``due`` of them expire within 10 days,
    the others in 11 to 89 days."""
    due_ids = set(rng.sample(range(count), due))
    rows = []
    for index in range(count):
        if index in due_ids:
            expires_in = timedelta(seconds=rng.uniform(-2 * 86400, 10 * 86400 - 60))
        else:
            expires_in = timedelta(seconds=rng.uniform(11 * 86400, 89 * 86400))
        not_after = NOW + expires_in
        rows.append(
            {
                "name": f"cert-{index:05d}",
                "chain_pem": "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
                "private_key_enc": key_enc,
                "csr_pem": "-",
                "acme_directory": "https://acme-v02.api.letsencrypt.org/directory",
                "domains_authenticators": {f"{index}.example.com": 1},
                "renew_days": 10,
                "not_before": not_after - 90 * DAY,
                "not_after": not_after,
                "serial": f"{index:032x}",
                "issuer": "CN=R11,O=Let's Encrypt,C=US",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    return rows


def _naive_scan(ctx: AppContext) -> int:
    due = 0
    with ctx.db.session() as session:
        for row in session.execute(select(*PLAN_COLUMNS)):
            if decide_for(row, NOW, DEFAULT_POLICY).is_due(NOW):
                due += 1
    return due


class Timings:
    """Wall-clock and CPU time (this process) of each round; CPU time is the steadier figure
    on a busy machine."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> Timings:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall.append(time.perf_counter() - self._wall)
        self.cpu.append(time.process_time() - self._cpu)

    def __str__(self) -> str:
        def ms(values: list[float]) -> str:
            return f"{statistics.median(values) * 1000:8.1f} ms"

        return f"wall {ms(self.wall)} (min {min(self.wall) * 1000:7.1f})   cpu {ms(self.cpu)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="certdesk-bench-") as tmp:
        ctx = AppContext.open(Settings(data_dir=Path(tmp) / "data"), clock=FrozenClock(NOW))
        try:
            rows = _rows(args.certificates, args.due, ctx.box.encrypt(b"-"), random.Random(1))
            started = time.perf_counter()
            with ctx.db.session() as session:
                session.execute(insert(CertificateRow), rows)
            print(
                f"inserted {args.certificates} certificates in "
                f"{time.perf_counter() - started:.2f} s (SQLite, {ctx.db.url})"
            )

            cold, warm, scheduler, naive = Timings(), Timings(), Timings(), Timings()
            for _ in range(args.rounds):
                with ctx.db.session() as session:
                    session.execute(update(CertificateRow).values(renew_at=None, renew_reason=None))
                with cold:
                    found = due_certificates(ctx, NOW, args.certificates)
                assert len(found) == args.due, len(found)
            for _ in range(args.rounds):
                with warm:
                    found = due_certificates(ctx, NOW, args.certificates)
                assert len(found) == args.due, len(found)
            for _ in range(args.rounds):
                with ctx.db.session() as session:
                    session.execute(delete(JobRow))
                with scheduler:
                    report = RenewalScheduler(ctx).sweep()
                assert len(report.enqueued) == args.due and not report.errors, report.errors
            for _ in range(args.rounds):
                with naive:
                    assert _naive_scan(ctx) == args.due
        finally:
            ctx.close()

    print(f"{args.certificates} certificates, {args.due} due, {args.rounds} rounds each:")
    print(f"  cold sweep (no plans yet: decide and store all) {cold}")
    print(f"  warm sweep (plans stored, renew_at index)       {warm}")
    print(f"  scheduler sweep (+ retries, 100 jobs, alerts)   {scheduler}")
    print(f"  naive full scan (decide every row, no writes)   {naive}")


if __name__ == "__main__":
    main()
