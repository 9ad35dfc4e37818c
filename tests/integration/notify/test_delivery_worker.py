"""The notifier's delivery worker against real receivers: ``deliver`` returns at once while the
webhook hangs, the batch arrives once it answers, retries and back-off happen in the worker, a
full queue drops its oldest batch with a warning, shutdown with a stalled receiver returns within
its deadline, and email still reaches the SMTP server (aiosmtpd)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from certdesk.services.notify import Alert, AlertKind, Notifier, NotifySettings
from tests.fixtures._process import LOOPBACK
from tests.integration.notify.receivers import mail_receiver
from tests.integration.notify.stalling import stalling_receiver

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def alert(name: str) -> Alert:
    return Alert(AlertKind.EXPIRED, name, f"Certificate '{name}' expired on 2026-05-31.", NOW)


@pytest.fixture
def started() -> Iterator[list[Notifier]]:
    """Notifiers the test starts; stopped at the end whatever happened."""
    notifiers: list[Notifier] = []
    yield notifiers
    for notifier in notifiers:
        notifier.stop(deadline=1.0)


def start(started: list[Notifier], settings: NotifySettings, *, capacity: int = 64) -> Notifier:
    notifier = Notifier(settings, capacity=capacity).start()
    started.append(notifier)
    return notifier


def test_deliver_returns_at_once_while_the_webhook_hangs(started: list[Notifier]) -> None:
    with stalling_receiver() as hook:
        notifier = start(started, NotifySettings(webhook_urls=(hook.url,)))
        began = time.monotonic()
        assert notifier.deliver([alert("web")]) is None  # queued
        assert time.monotonic() - began < 0.5
        assert hook.wait_requests(1)  # the POST is in flight, held by the receiver
        assert not notifier.wait_idle(0.2)
        hook.release.set()
        assert notifier.wait_idle(10)
    outcome = notifier.last_outcome
    assert outcome is not None and outcome.result is not None and outcome.result.ok
    assert outcome.alerts == (alert("web"),)
    assert hook.certificates() == [["web"]]


def test_retries_and_back_off_happen_in_the_worker(started: list[Notifier]) -> None:
    with stalling_receiver(held=False, healthy=False) as hook:
        settings = NotifySettings(webhook_urls=(hook.url,), webhook_retry_base=0.2)
        notifier = start(started, settings)
        began = time.monotonic()
        notifier.deliver([alert("web")])
        assert time.monotonic() - began < 0.5
        assert hook.wait_requests(2)  # answered 503 twice, backing off in between
        hook.healthy.set()
        assert notifier.wait_idle(10)
    outcome = notifier.last_outcome
    assert outcome is not None and outcome.result is not None and outcome.result.ok
    assert outcome.result.deliveries[0].attempts == len(hook.bodies) >= 3


def test_a_full_queue_drops_the_oldest_batch(
    started: list[Notifier], caplog: pytest.LogCaptureFixture
) -> None:
    with stalling_receiver() as hook:
        notifier = start(started, NotifySettings(webhook_urls=(hook.url,)), capacity=2)
        notifier.deliver([alert("first")])
        assert hook.wait_requests(1)  # in flight: the queue is empty again
        with caplog.at_level(logging.WARNING):
            for name in ("second", "third", "fourth"):
                began = time.monotonic()
                notifier.deliver([alert(name)])
                assert time.monotonic() - began < 0.5  # never blocks, full or not
        assert notifier.worker.dropped == 1
        assert "queue full" in caplog.text and "dropped the oldest batch" in caplog.text
        assert "expired second" in caplog.text
        assert "secret-token" not in caplog.text
        hook.release.set()
        assert notifier.wait_idle(10)
        assert hook.certificates() == [["first"], ["third"], ["fourth"]]


def test_shutdown_with_a_stalled_receiver_returns_within_the_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with stalling_receiver() as hook:
        # The request itself would wait 30 s for an answer: only the deadline ends the wait.
        settings = NotifySettings(webhook_urls=(hook.url,), webhook_timeout=30)
        notifier = Notifier(settings).start()
        notifier.deliver([alert("in-flight")])
        assert hook.wait_requests(1)
        notifier.deliver([alert("queued")])
        began = time.monotonic()
        with caplog.at_level(logging.WARNING):
            assert notifier.stop(deadline=0.5) is False
        elapsed = time.monotonic() - began
        assert 0.5 <= elapsed < 1.5, elapsed
        assert "did not finish within 0.5 s" in caplog.text and "expired queued" in caplog.text
        assert "secret-token" not in caplog.text
        # Stopped: nothing more is taken, and the in-flight batch ends once the receiver answers.
        assert notifier.worker.submit([alert("late")]) is False
        hook.release.set()
        assert notifier.wait_idle(10)
    assert hook.certificates() == [["in-flight"]]


def test_shutdown_cuts_the_back_off_short() -> None:
    with stalling_receiver(held=False, healthy=False) as hook:
        # Without the interruption the worker would wait 30 s before its second attempt.
        settings = NotifySettings(webhook_urls=(hook.url,), webhook_retry_base=30)
        notifier = Notifier(settings).start()
        notifier.deliver([alert("web")])
        assert hook.wait_requests(1)
        began = time.monotonic()
        assert notifier.stop(deadline=0.3) is False
        assert time.monotonic() - began < 1.3
        assert notifier.wait_idle(5)
    outcome = notifier.last_outcome
    assert outcome is not None and outcome.result is not None
    (failed,) = outcome.result.failed
    assert failed.attempts == 1 and failed.error == "HTTP 503 Service Unavailable; shut down"
    assert len(hook.bodies) == 1


def test_shutdown_waits_for_a_delivery_that_finishes_in_time() -> None:
    with stalling_receiver(held=False) as hook:
        notifier = Notifier(NotifySettings(webhook_urls=(hook.url,))).start()
        notifier.deliver([alert("web")])
        assert notifier.stop(deadline=5.0) is True
        assert hook.certificates() == [["web"]]


def test_email_is_delivered_by_the_worker(started: list[Notifier]) -> None:
    with mail_receiver() as mail:
        settings = NotifySettings(
            smtp_host=LOOPBACK,
            smtp_port=mail.port,
            smtp_from="certdesk@example.com",
            smtp_to=("ops@example.com",),
            smtp_starttls=False,
        )
        notifier = start(started, settings)
        assert notifier.deliver([alert("web")]) is None
        assert notifier.wait_idle(10)
        outcome = notifier.last_outcome
        assert outcome is not None and outcome.result is not None and outcome.result.ok
        assert [d.channel for d in outcome.result.deliveries] == ["email"]
        (message,) = mail.messages
        assert message["Subject"] == "certdesk: expired - web"


def test_unstarted_notifier_delivers_in_place() -> None:
    with stalling_receiver(held=False) as hook:
        result = Notifier(NotifySettings(webhook_urls=(hook.url,))).deliver([alert("web")])
    assert result is not None and result.ok
    assert hook.certificates() == [["web"]]
