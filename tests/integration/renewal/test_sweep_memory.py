"""The scheduler's memory survives a restart, on SQLite and PostgreSQL with a frozen clock: an
alert is not sent again by a new AppContext on the same database within the repeat interval but
is after it, an alert that cleared and came back is sent at once, two instances sweeping one
database at the same moment send each alert once between them (new alerts and reminders), and
the time to ask a CA for a certificate's renewal information next (its Retry-After) is kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, select, update

from certdesk.clock import FrozenClock
from certdesk.services.alerts import AlertMemory
from certdesk.services.ari import ARIPoller
from certdesk.services.context import AppContext
from certdesk.services.notify import Alert, AlertKind, Notifier, NotifySettings
from certdesk.services.scheduler import RenewalScheduler, SweepReport
from certdesk.settings import Settings
from certdesk.storage.models import ARIPollRow, CertificateRow
from certdesk.storage.sweep_memory import AlertLog
from tests.integration.acme.scripted_ca import Reply, ScriptedCA
from tests.integration.notify.receivers import webhook_receiver
from tests.integration.renewal.conftest import NOW
from tests.integration.renewal.helpers import DAY, add
from tests.integration.renewal.test_ari import add_ari_certificate, window

HOUR = timedelta(hours=1)


def notifier() -> Notifier:
    """A notifier with nowhere to send: the sweep report says what was sent."""
    return Notifier(NotifySettings())


def sent(report: SweepReport) -> list[tuple[str, str]]:
    return [(a.kind.value, a.certificate) for a in report.notified]


def records(ctx: AppContext) -> dict[tuple[str, str], object]:
    with ctx.db.session() as session:
        return dict(AlertLog(session).sent())


@pytest.fixture
def ca() -> Iterator[ScriptedCA]:
    server = ScriptedCA().start()
    server.script(
        "GET", "/dir", Reply(200, server.directory(renewalInfo=server.url("/renewal-info")))
    )
    try:
        yield server
    finally:
        server.stop()


def test_migration_adds_and_removes_the_tables(ctx: AppContext) -> None:
    tables = set(inspect(ctx.db.engine).get_table_names())
    assert {"alert_sent", "ari_poll"} <= tables
    config = ctx.db.alembic_config()
    with ctx.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    assert not {"alert_sent", "ari_poll"} & set(inspect(ctx.db.engine).get_table_names())
    ctx.db.upgrade()
    assert ctx.db.current_revision() == ctx.db.head_revision()
    assert {"alert_sent", "ari_poll"} <= set(inspect(ctx.db.engine).get_table_names())


def test_restart_does_not_resend_within_the_interval(
    ctx: AppContext, settings: Settings, clock: FrozenClock
) -> None:
    add(ctx, "expiring", expires_in=5 * DAY)
    add(ctx, "fine", expires_in=60 * DAY)
    with webhook_receiver() as hook:
        first = RenewalScheduler(
            ctx, notifier=Notifier(NotifySettings(webhook_urls=(hook.url,)))
        ).sweep()
        assert sent(first) == [("expiring", "expiring")]
        assert records(ctx) == {("expiring", "expiring"): NOW}

        # certdesk restarts: a new context and scheduler on the same database.
        ctx.close()
        clock.advance(HOUR)
        restarted = AppContext.open(settings, clock=clock)
        try:
            scheduler = RenewalScheduler(
                restarted, notifier=Notifier(NotifySettings(webhook_urls=(hook.url,)))
            )
            assert scheduler.sweep().notified == ()
            clock.set(NOW + 24 * HOUR - timedelta(seconds=1))
            assert scheduler.sweep().notified == ()
            clock.set(NOW + 24 * HOUR)
            assert sent(scheduler.sweep()) == [("expiring", "expiring")]
            assert records(restarted) == {("expiring", "expiring"): NOW + 24 * HOUR}
            # And again after another restart: the reminder is remembered too.
            again = AppContext.open(settings, clock=clock)
            try:
                clock.advance(HOUR)
                assert RenewalScheduler(again, notifier=notifier()).sweep().notified == ()
            finally:
                again.close()
        finally:
            restarted.close()
    assert len(hook.requests) == 2


def test_cleared_alert_is_forgotten_and_sent_at_once_when_it_returns(
    ctx: AppContext, settings: Settings, clock: FrozenClock
) -> None:
    cert_id = add(ctx, "web", expires_in=5 * DAY)
    add(ctx, "other", expires_in=3 * DAY)
    scheduler = RenewalScheduler(ctx, notifier=notifier())
    assert sorted(sent(scheduler.sweep())) == [("expiring", "other"), ("expiring", "web")]

    # "web" is renewed: its alert clears and its record goes; "other" stays on record.
    with ctx.db.session() as session:
        session.execute(
            update(CertificateRow)
            .where(CertificateRow.id == cert_id)
            .values(not_after=NOW + 60 * DAY)
        )
    clock.advance(HOUR)
    assert scheduler.sweep().notified == ()
    assert set(records(ctx)) == {("expiring", "other")}

    # It comes back an hour later, seen by a restarted instance: sent at once, not after a day.
    with ctx.db.session() as session:
        session.execute(
            update(CertificateRow)
            .where(CertificateRow.id == cert_id)
            .values(not_after=NOW + 4 * DAY)
        )
    clock.advance(HOUR)
    restarted = AppContext.open(settings, clock=clock)
    try:
        report = RenewalScheduler(restarted, notifier=notifier()).sweep()
    finally:
        restarted.close()
    assert sent(report) == [("expiring", "web")]


def test_every_alert_kind_of_one_certificate_is_remembered_apart(
    ctx: AppContext, clock: FrozenClock
) -> None:
    memory = AlertMemory(ctx, timedelta(hours=24))
    expiring = Alert(AlertKind.EXPIRING, "web", "Expires in 5 days.", NOW)
    failed = Alert(AlertKind.RENEWAL_FAILED, "web", "Renewal failed.", NOW)
    assert memory.to_send([expiring], NOW) == [expiring]
    assert memory.to_send([failed, expiring], NOW + HOUR) == [failed]
    # A second memory on the same database (another scheduler) agrees.
    assert AlertMemory(ctx, timedelta(hours=24)).to_send([failed, expiring], NOW + HOUR) == []
    assert memory.to_send([failed, expiring], NOW + 24 * HOUR) == [expiring]
    # mark_sent records a send whatever was on record.
    memory.mark_sent([failed], NOW + 24 * HOUR)
    assert records(ctx)[("renewal_failed", "web")] == NOW + 24 * HOUR


def test_two_instances_send_each_alert_once(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    clock = FrozenClock(NOW)
    contexts = [AppContext.open(settings, clock=clock) for _ in range(2)]
    try:
        names = [f"expiring-{i:02d}" for i in range(20)]
        for name in names:
            add(contexts[0], name, expires_in=5 * DAY)
        with webhook_receiver() as hook:
            schedulers = [
                RenewalScheduler(c, notifier=Notifier(NotifySettings(webhook_urls=(hook.url,))))
                for c in contexts
            ]

            def sweep_both() -> list[SweepReport]:
                barrier = threading.Barrier(2)
                reports: list[SweepReport] = []

                def sweep(scheduler: RenewalScheduler) -> None:
                    barrier.wait(timeout=30)
                    reports.append(scheduler.sweep())

                threads = [threading.Thread(target=sweep, args=(s,)) for s in schedulers]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=60)
                assert len(reports) == 2
                assert all(r.errors == () for r in reports), [r.errors for r in reports]
                return reports

            def delivered(start: int) -> list[str]:
                return sorted(
                    alert["certificate"]
                    for _, _, body in hook.requests[start:]
                    for alert in body["alerts"]
                )

            # New alerts: each sent by exactly one of the two.
            reports = sweep_both()
            assert sorted(a.certificate for r in reports for a in r.notified) == names
            assert delivered(0) == names
            count = len(hook.requests)

            # Within the day neither sends; after it, each reminder is sent by one of the two.
            clock.advance(23 * HOUR)
            assert all(r.notified == () for r in sweep_both())
            assert len(hook.requests) == count
            clock.advance(HOUR)
            reports = sweep_both()
            assert sorted(a.certificate for r in reports for a in r.notified) == names
            assert delivered(count) == names
    finally:
        for c in contexts:
            c.close()


def test_ari_poll_time_survives_a_restart(
    ctx: AppContext, settings: Settings, clock: FrozenClock, ca: ScriptedCA
) -> None:
    cert_id, path = add_ari_certificate(ctx, ca)
    ca.script("GET", path, window(NOW + 40 * DAY, NOW + 42 * DAY, retry_after=3 * 3600))
    (outcome,) = ARIPoller(ctx).poll()
    assert outcome.error is None and outcome.next_poll == NOW + 3 * HOUR
    assert len(ca.requests_to("GET", path)) == 1
    ctx.close()

    restarted = AppContext.open(settings, clock=clock)
    try:
        poller = ARIPoller(restarted)
        assert poller.next_poll(cert_id) == NOW + 3 * HOUR  # the CA's Retry-After, kept
        clock.advance(HOUR)
        assert poller.poll() == []
        assert RenewalScheduler(restarted, ari=ARIPoller(restarted)).sweep().ari == ()
        assert len(ca.requests_to("GET", path)) == 1
        clock.set(NOW + 3 * HOUR)
        (asked,) = ARIPoller(restarted).poll()
        assert asked.certificate_id == cert_id and asked.next_poll == NOW + 6 * HOUR
        assert len(ca.requests_to("GET", path)) == 2
    finally:
        restarted.close()


def test_ari_batch_goes_on_after_a_restart_and_a_renewal_is_asked_at_once(
    ctx: AppContext, settings: Settings, clock: FrozenClock, ca: ScriptedCA
) -> None:
    first, first_path = add_ari_certificate(ctx, ca, "first")
    second, second_path = add_ari_certificate(ctx, ca, "second")
    for path in (first_path, second_path):
        ca.script("GET", path, window(NOW + 40 * DAY, NOW + 42 * DAY, retry_after=3600))
    assert [o.certificate_id for o in ARIPoller(ctx, batch=1).poll()] == [first]

    restarted = AppContext.open(settings, clock=clock)
    try:
        # Not the first again: the second, never asked about, is next.
        assert [o.certificate_id for o in ARIPoller(restarted, batch=1).poll()] == [second]
        assert ARIPoller(restarted).poll() == []
        # The first is renewed (a new serial): asked about at once, before its old time.
        with restarted.db.session() as session:
            session.execute(
                update(CertificateRow).where(CertificateRow.id == first).values(serial="02")
            )
        clock.advance(timedelta(minutes=5))
        assert [o.certificate_id for o in ARIPoller(restarted).poll()] == [first]
        with restarted.db.session() as session:
            stored = session.get(ARIPollRow, first)
            assert stored is not None and stored.serial == "02"
            assert stored.next_poll_at == NOW + timedelta(minutes=5) + HOUR
            # A deleted certificate takes its poll time with it.
            session.delete(session.get(CertificateRow, second))
        with restarted.db.session() as session:
            assert session.scalars(select(ARIPollRow.certificate_id)).all() == [first]
    finally:
        restarted.close()


def test_two_instances_polling_at_once_ask_once(
    ctx: AppContext, settings: Settings, clock: FrozenClock, ca: ScriptedCA
) -> None:
    paths = {}
    for i in range(6):
        cert_id, path = add_ari_certificate(ctx, ca, f"cert-{i}")
        ca.script("GET", path, window(NOW + 40 * DAY, NOW + 42 * DAY, retry_after=3600))
        paths[cert_id] = path
    other = AppContext.open(settings, clock=clock)
    try:
        pollers = [ARIPoller(ctx), ARIPoller(other)]

        def poll_both() -> list[int]:
            barrier = threading.Barrier(2)
            asked: list[int] = []

            def poll(poller: ARIPoller) -> None:
                barrier.wait(timeout=30)
                asked.extend(o.certificate_id for o in poller.poll())

            threads = [threading.Thread(target=poll, args=(p,)) for p in pollers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            return sorted(asked)

        assert poll_both() == sorted(paths)
        assert all(len(ca.requests_to("GET", path)) == 1 for path in paths.values())
        clock.advance(HOUR)  # every Retry-After has passed: asked once more, by one of the two
        assert poll_both() == sorted(paths)
        assert all(len(ca.requests_to("GET", path)) == 2 for path in paths.values())
    finally:
        other.close()
