"""The renewal scheduler inside ``certdesk serve``: wakes every ``interval`` seconds (a minute by
default, often enough for six-day certificates), and on each sweep

1. asks the CAs that offer ARI for the windows of the certificates whose turn it is
   (``ARIPoller``) and plans from them, and gives certificates whose last renewal failed their
   retry time (capped backoff),
2. enqueues one ``acme.renew`` job per due certificate (the job runner's workers, polling the
   job table, pick it up) — never a second one while one waits or
   runs, also across instances sharing a PostgreSQL database (the certificate row is locked with
   ``FOR UPDATE SKIP LOCKED`` while the job is added) — so one failure never blocks the others,
3. notifies new alerts (expiring, expired, renewal failed, deploy failed) through the
   ``Notifier``, each again after a day while it lasts — handed to its delivery worker when
   that runs (the app), so a slow webhook never delays the sweep.

``sweep`` is one pass at ``ctx.clock.now()``, callable on its own (tests, the CLI); ``start`` and
``stop`` run it in a thread, and ``running_scheduler`` wraps that for the app's lifespan. A sweep
that fails is logged and the next one runs as planned.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import exists, select

from certdesk.errors import CertdeskError
from certdesk.services.alerts import AlertMemory, active_alerts
from certdesk.services.ari import ARIOutcome, ARIPoller
from certdesk.services.context import AppContext
from certdesk.services.issuance import RENEW
from certdesk.services.notify import Alert, Notifier, NotifyResult
from certdesk.services.renewal_policy import DEFAULT_POLICY, RenewalPolicy
from certdesk.services.renewal_sweep import (
    ACTIVE_JOB_STATES,
    DueCertificate,
    due_certificates,
    plan_retries,
)
from certdesk.storage.jobs import JobRepository
from certdesk.storage.models import CertificateRow, JobRow

log = logging.getLogger(__name__)

#: Seconds between two sweeps.
DEFAULT_INTERVAL = 60.0
#: Renewals enqueued per sweep at most; the rest follow in the next sweeps.
DEFAULT_BATCH = 100


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    #: (certificate id, job id) of each renewal enqueued.
    enqueued: tuple[tuple[int, int], ...] = ()
    #: Certificates given a retry time after a failure.
    retries_planned: tuple[int, ...] = ()
    #: Alerts sent in this sweep (new or reminders).
    notified: tuple[Alert, ...] = ()
    #: How sending went; ``None`` when queued for the notifier's worker (or nothing to send).
    notify_result: NotifyResult | None = None
    #: What asking the CAs for renewal information gave (empty without an ``ARIPoller``).
    ari: tuple[ARIOutcome, ...] = ()
    errors: tuple[str, ...] = field(default_factory=tuple)


def enqueue_renewals(ctx: AppContext, due: Sequence[DueCertificate]) -> list[tuple[int, int]]:
    """Add one renewal job for each of ``due`` that has none waiting or running, in one
    transaction; returns (certificate id, job id) pairs. The certificate rows are locked first
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer at a time anyway), so a
    certificate another instance is enqueuing right now is skipped, not enqueued twice."""
    if not due:
        return []
    now = ctx.clock.now()
    reasons = {item.id: item.decision.reason for item in due}
    active = exists().where(
        JobRow.certificate_id == CertificateRow.id, JobRow.state.in_(ACTIVE_JOB_STATES)
    )
    enqueued: list[tuple[int, int]] = []
    with ctx.db.session() as session:
        locked = session.execute(
            select(CertificateRow.id, CertificateRow.name)
            .where(CertificateRow.id.in_(reasons), CertificateRow.revoked_at.is_(None), ~active)
            .order_by(CertificateRow.id)
            .with_for_update(skip_locked=True)
        ).all()
        jobs = JobRepository(session, ctx.box)
        for certificate_id, name in locked:
            record = jobs.add(
                RENEW,
                {
                    "certificate_id": certificate_id,
                    "name": name,
                    "requested_by": "scheduler",
                    "reason": reasons[certificate_id],
                },
                now,
                certificate_id=certificate_id,
            )
            enqueued.append((certificate_id, record.id))
    return enqueued


class RenewalScheduler:
    """Sweeps for due renewals and new alerts, in a thread or one call at a time."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        notifier: Notifier | None = None,
        ari: ARIPoller | None = None,
        policy: RenewalPolicy = DEFAULT_POLICY,
        interval: float = DEFAULT_INTERVAL,
        batch: int = DEFAULT_BATCH,
        repeat_alerts_after: timedelta = timedelta(hours=24),
    ) -> None:
        self.ctx = ctx
        self.notifier = notifier
        self.ari = ari
        self.policy = policy
        self.interval = interval
        self.batch = batch
        self.memory = AlertMemory(ctx, repeat_alerts_after)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_report: SweepReport | None = None

    def sweep(self) -> SweepReport:
        """One pass at the context clock's ``now``; errors are reported, never raised."""
        now = self.ctx.clock.now()
        errors: list[str] = []
        retries: list[int] = []
        enqueued: list[tuple[int, int]] = []
        ari: list[ARIOutcome] = []
        if self.ari is not None:
            try:
                ari = self.ari.poll(now)
            except CertdeskError as exc:
                errors.append(f"asking for renewal information failed: {exc.message}")
        try:
            retries = plan_retries(self.ctx, now, self.policy)
            due = due_certificates(self.ctx, now, self.batch, self.policy)
        except CertdeskError as exc:
            errors.append(f"finding due renewals failed: {exc.message}")
            due = []
        try:
            enqueued = enqueue_renewals(self.ctx, due)
        except CertdeskError as exc:
            errors.append(f"enqueuing {len(due)} renewal(s) failed: {exc.message}")
        names = {item.id: item for item in due}
        for certificate_id, job_id in enqueued:
            item = names[certificate_id]
            log.info(
                "renewal of %s enqueued as job %s: %s", item.name, job_id, item.decision.reason
            )
        notified: list[Alert] = []
        result = None
        alerts: list[Alert] | None = None
        try:
            alerts = active_alerts(self.ctx, now)
        except CertdeskError as exc:
            errors.append(f"reading the alerts failed: {exc.message}")
        # Not when the alerts could not be read: the memory would forget them all.
        if self.notifier is not None and alerts is not None:
            try:
                notified = self.memory.to_send(alerts, now)  # claimed: no other instance sends
            except CertdeskError as exc:
                errors.append(f"claiming the alerts to send failed: {exc.message}")
            if notified:
                # Queued when the notifier's worker runs (the app): retries never delay a sweep.
                result = self.notifier.deliver(notified)
        for error in errors:
            log.warning("renewal sweep: %s", error)
        report = SweepReport(
            enqueued=tuple(enqueued),
            retries_planned=tuple(retries),
            notified=tuple(notified),
            notify_result=result,
            ari=tuple(ari),
            errors=tuple(errors),
        )
        self.last_report = report
        return report

    # -- the thread ----------------------------------------------------------------------------

    def start(self) -> RenewalScheduler:
        if self._thread is not None:
            raise RuntimeError("the scheduler is running already")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, daemon=True, name="certdesk-renewal-scheduler"
        )
        self._thread.start()
        return self

    def wake(self) -> None:
        """Sweep now rather than at the next interval."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:  # the scheduler's boundary: log, and sweep again next time
                log.exception("renewal sweep failed unexpectedly")
            self._wake.wait(self.interval)
            self._wake.clear()


@contextmanager
def running_scheduler(
    ctx: AppContext,
    *,
    notifier: Notifier | None = None,
    interval: float = DEFAULT_INTERVAL,
    ari: bool = True,
) -> Iterator[RenewalScheduler]:
    """A started scheduler (asking for ARI unless ``ari`` is false) for the duration of the
    block (for the app's lifespan)."""
    poller = ARIPoller(ctx) if ari else None
    scheduler = RenewalScheduler(ctx, notifier=notifier, ari=poller, interval=interval).start()
    try:
        yield scheduler
    finally:
        scheduler.stop()
