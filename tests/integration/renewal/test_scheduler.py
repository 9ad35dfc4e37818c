"""The renewal scheduler on SQLite and PostgreSQL with a frozen clock: due certificates get one
renewal job each (never a second while one waits, also from two instances sweeping at once), a
failure recorded by the renewal job gets its backoff before the next try, alerts reach a webhook
once and again after a day, and the scheduler thread sweeps on its own."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from certdesk.clock import FrozenClock
from certdesk.services.context import AppContext
from certdesk.services.notify import Notifier, NotifySettings
from certdesk.services.scheduler import RenewalScheduler, running_scheduler
from certdesk.settings import Settings
from certdesk.storage.certificates import CertificateRepository
from certdesk.storage.models import JobRow
from tests.fixtures._process import wait_until
from tests.integration.notify.receivers import webhook_receiver
from tests.integration.renewal.conftest import NOW
from tests.integration.renewal.helpers import DAY, add, add_job, row

MINUTE = timedelta(minutes=1)


def renew_jobs(ctx: AppContext) -> list[tuple[int | None, str, dict[str, object]]]:
    with ctx.db.session() as session:
        return [
            (j.certificate_id, j.state, j.arguments)
            for j in session.scalars(
                select(JobRow).where(JobRow.kind == "acme.renew").order_by(JobRow.id)
            )
        ]


def finish_jobs(ctx: AppContext, state: str) -> None:
    with ctx.db.session() as session:
        for job in session.scalars(select(JobRow).where(JobRow.state.in_(("WAITING", "RUNNING")))):
            job.state = state
            job.started_at = job.finished_at = ctx.clock.now()


def test_due_certificates_get_one_job_each(ctx: AppContext) -> None:
    due_a = add(ctx, "due-a", expires_in=5 * DAY)
    due_b = add(ctx, "due-b", expires_in=-DAY)
    add(ctx, "later", expires_in=60 * DAY)
    add(ctx, "revoked", expires_in=DAY, revoked=True)
    busy = add(ctx, "busy", expires_in=DAY)
    add_job(ctx, busy, "RUNNING")
    report = RenewalScheduler(ctx).sweep()
    assert report.errors == ()
    assert sorted(cert for cert, _ in report.enqueued) == sorted([due_a, due_b])
    jobs = renew_jobs(ctx)
    waiting = {cert: args for cert, state, args in jobs if state == "WAITING"}
    assert set(waiting) == {due_a, due_b}
    assert waiting[due_a]["name"] == "due-a"
    assert waiting[due_a]["requested_by"] == "scheduler"
    assert "Renew Certificate Days" in str(waiting[due_a]["reason"])
    # The next sweep adds nothing while those jobs wait.
    assert RenewalScheduler(ctx).sweep().enqueued == ()
    assert len(renew_jobs(ctx)) == 3


def test_failed_renewal_backs_off_before_the_next_job(ctx: AppContext, clock: FrozenClock) -> None:
    cert_id = add(ctx, "web", expires_in=5 * DAY)
    scheduler = RenewalScheduler(ctx)
    assert len(scheduler.sweep().enqueued) == 1
    # The renewal job fails the way the issuance job records it: count and error, no retry time.
    with ctx.db.session() as session:
        CertificateRepository(session, ctx.box, ctx.clock).record_failure(cert_id, "DNS: refused")
    finish_jobs(ctx, "FAILED")

    report = scheduler.sweep()
    assert report.retries_planned == (cert_id,) and report.enqueued == ()
    stored = row(ctx, cert_id)
    assert stored.renew_at == NOW + MINUTE
    assert "after 1 failed attempt" in (stored.renew_reason or "")
    clock.advance(30 * timedelta(seconds=1))
    assert scheduler.sweep().enqueued == ()
    clock.advance(30 * timedelta(seconds=1))
    assert len(scheduler.sweep().enqueued) == 1

    # Second failure: two minutes.
    with ctx.db.session() as session:
        CertificateRepository(session, ctx.box, ctx.clock).record_failure(cert_id, "DNS: refused")
    finish_jobs(ctx, "FAILED")
    scheduler.sweep()
    assert row(ctx, cert_id).renew_at == NOW + MINUTE + 2 * MINUTE
    clock.advance(2 * MINUTE)
    assert len(scheduler.sweep().enqueued) == 1


def test_alerts_are_notified_once_and_again_after_a_day(
    ctx: AppContext, clock: FrozenClock
) -> None:
    add(ctx, "expiring", expires_in=5 * DAY)
    add(ctx, "fine", expires_in=60 * DAY)
    with webhook_receiver() as hook:
        notifier = Notifier(NotifySettings(webhook_urls=(hook.url,)))
        scheduler = RenewalScheduler(ctx, notifier=notifier)
        first = scheduler.sweep()
        assert [(a.kind.value, a.certificate) for a in first.notified] == [("expiring", "expiring")]
        assert first.notify_result is not None and first.notify_result.ok
        clock.advance(timedelta(hours=1))
        assert scheduler.sweep().notified == ()
        clock.advance(timedelta(hours=23))
        assert [a.certificate for a in scheduler.sweep().notified] == ["expiring"]
    assert len(hook.requests) == 2
    assert hook.requests[0][2]["alerts"][0]["kind"] == "expiring"


def test_renewal_failure_alert(ctx: AppContext) -> None:
    cert_id = add(ctx, "web", expires_in=40 * DAY)
    with ctx.db.session() as session:
        CertificateRepository(session, ctx.box, ctx.clock).record_failure(
            cert_id, "The CA refused: rateLimited"
        )
    with webhook_receiver() as hook:
        report = RenewalScheduler(
            ctx, notifier=Notifier(NotifySettings(webhook_urls=(hook.url,)))
        ).sweep()
    (alert,) = report.notified
    assert alert.kind.value == "renewal_failed"
    assert "rateLimited" in hook.requests[0][2]["text"]


def test_deploy_failure_in_the_last_job_alerts(ctx: AppContext) -> None:
    cert_id = add(ctx, "web", expires_in=60 * DAY)
    with ctx.db.session() as session:
        session.add(
            JobRow(
                kind="acme.renew",
                state="SUCCESS",
                arguments={},
                created_at=NOW,
                certificate_id=cert_id,
                result={
                    "deploy": {
                        "ok": False,
                        "steps": [
                            {
                                "name": "command",
                                "ok": False,
                                "error": "/usr/sbin/nginx exited with status 1",
                            }
                        ],
                    }
                },
            )
        )
    report = RenewalScheduler(ctx, notifier=Notifier(NotifySettings())).sweep()
    (alert,) = report.notified
    assert alert.kind.value == "deploy_failed"
    assert "command: /usr/sbin/nginx exited with status 1" in alert.message


@pytest.mark.postgres
def test_two_instances_sweeping_at_once_enqueue_once(postgres_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    contexts = [AppContext.open(settings, clock=FrozenClock(NOW)) for _ in range(2)]
    try:
        ids = [add(contexts[0], f"due-{i}", expires_in=DAY) for i in range(30)]
        barrier = threading.Barrier(2)
        reports = []

        def sweep(ctx: AppContext) -> None:
            barrier.wait()
            reports.append(RenewalScheduler(ctx).sweep())

        threads = [threading.Thread(target=sweep, args=(c,)) for c in contexts]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert all(r.errors == () for r in reports)
        enqueued = [cert for r in reports for cert, _ in r.enqueued]
        assert sorted(enqueued) == sorted(ids)  # each exactly once, whoever won it
        assert sorted(cert for cert, _, _ in renew_jobs(contexts[0])) == sorted(ids)
    finally:
        for c in contexts:
            c.close()


def test_the_scheduler_thread_sweeps_on_its_own(ctx: AppContext, clock: FrozenClock) -> None:
    cert_id = add(ctx, "web", expires_in=30 * DAY)
    with running_scheduler(ctx, interval=0.05, ari=False) as scheduler:
        wait_until(lambda: scheduler.last_report is not None, what="the first sweep", timeout=30)
        assert renew_jobs(ctx) == []
        clock.advance(20 * DAY)  # now inside the 10 renew days
        scheduler.wake()
        wait_until(lambda: len(renew_jobs(ctx)) == 1, what="the renewal job", timeout=30)
    assert renew_jobs(ctx)[0][0] == cert_id
