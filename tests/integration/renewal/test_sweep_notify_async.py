"""A sweep hands its alerts to the notifier's delivery worker and returns at once: with the
webhook hanging or answering 503 the sweep stays well under a second, the alert arrives once the
receiver recovers, and the alert was claimed in the database before it was sent (a second sweep
does not send it again). In the app the worker runs for the lifespan and stops with it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from certdesk.app import create_app
from certdesk.services.context import AppContext
from certdesk.services.notify import Notifier, NotifySettings
from certdesk.services.scheduler import RenewalScheduler
from tests.integration.notify.stalling import stalling_receiver
from tests.integration.renewal.helpers import DAY, add


@pytest.fixture
def notifiers() -> Iterator[list[Notifier]]:
    started: list[Notifier] = []
    yield started
    for notifier in started:
        notifier.stop(deadline=1.0)


def test_a_sweep_does_not_wait_for_a_hanging_webhook(
    ctx: AppContext, notifiers: list[Notifier]
) -> None:
    add(ctx, "expiring", expires_in=5 * DAY)
    with stalling_receiver() as hook:
        notifier = Notifier(NotifySettings(webhook_urls=(hook.url,), webhook_timeout=30)).start()
        notifiers.append(notifier)
        scheduler = RenewalScheduler(ctx, notifier=notifier)
        began = time.monotonic()
        report = scheduler.sweep()
        assert time.monotonic() - began < 1.0
        assert [a.certificate for a in report.notified] == ["expiring"]
        assert report.notify_result is None  # queued, not yet sent
        assert hook.wait_requests(1)  # the POST hangs in the worker meanwhile...
        began = time.monotonic()
        assert scheduler.sweep().notified == ()  # ...claimed already: not sent twice
        assert time.monotonic() - began < 1.0
        hook.release.set()
        assert notifier.wait_idle(10)
    outcome = notifier.last_outcome
    assert outcome is not None and outcome.result is not None and outcome.result.ok
    assert hook.certificates() == [["expiring"]]


def test_a_sweep_does_not_wait_for_webhook_retries(
    ctx: AppContext, notifiers: list[Notifier]
) -> None:
    add(ctx, "expiring", expires_in=5 * DAY)
    with stalling_receiver(held=False, healthy=False) as hook:
        # Sent in place, 503s with these back-offs would hold the sweep for 0.5+1+2+4 s.
        settings = NotifySettings(
            webhook_urls=(hook.url,), webhook_attempts=5, webhook_retry_base=0.5
        )
        notifier = Notifier(settings).start()
        notifiers.append(notifier)
        began = time.monotonic()
        report = RenewalScheduler(ctx, notifier=notifier).sweep()
        assert time.monotonic() - began < 1.0
        assert [a.certificate for a in report.notified] == ["expiring"]
        assert hook.wait_requests(2)  # answered 503 twice
        hook.healthy.set()
        assert notifier.wait_idle(15)
    outcome = notifier.last_outcome
    assert outcome is not None and outcome.result is not None and outcome.result.ok
    assert outcome.result.deliveries[0].attempts >= 3
    assert {name for names in hook.certificates() for name in names} == {"expiring"}


def test_the_app_runs_the_worker_for_its_lifespan(ctx: AppContext) -> None:
    add(ctx, "expiring", expires_in=5 * DAY)
    settings = ctx.settings.with_overrides(scheduler=True)
    with stalling_receiver(held=False) as hook:
        notifier = Notifier(NotifySettings(webhook_urls=(hook.url,)))
        app = create_app(settings, ctx=ctx, notifier=notifier)

        async def serve() -> None:
            async with app.router.lifespan_context(app):
                assert notifier.worker.accepting
                # The scheduler's first sweep, at start-up, queues the alert.
                assert await asyncio.to_thread(hook.wait_requests, 1)
                assert await asyncio.to_thread(notifier.wait_idle, 10)

        asyncio.run(serve())
    assert not notifier.worker.accepting
    assert ["expiring"] in hook.certificates()
