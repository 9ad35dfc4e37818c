"""Notifications reach real receivers: a local HTTP server gets the webhook JSON (and retries
when it fails), a local SMTP server (aiosmtpd) gets the email, with STARTTLS and login; a dead
destination is reported in the result, never raised, and no secret reaches the log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from certdesk.services.notify import Alert, AlertKind, Notifier, NotifySettings
from tests.fixtures._process import LOOPBACK, free_port
from tests.fixtures.pebble import _write_tls_files
from tests.integration.notify.receivers import mail_receiver, webhook_receiver

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ALERTS = [
    Alert(AlertKind.EXPIRED, "web", "Certificate 'web' expired on 2026-05-31.", NOW),
    Alert(AlertKind.RENEWAL_FAILED, "api", "Renewing certificate 'api' failed (1 attempt).", NOW),
]


class Sleeps:
    """Records the backoff delays instead of waiting them out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def test_webhook_gets_the_alerts_as_json() -> None:
    with webhook_receiver() as hook:
        result = Notifier(NotifySettings(webhook_urls=(hook.url,))).send(ALERTS)
    assert result.ok
    (delivery,) = result.deliveries
    assert (delivery.channel, delivery.attempts) == ("webhook", 1)
    assert delivery.target == f"http://{LOOPBACK}:{hook.url.split(':')[2].split('/')[0]}/…"
    ((path, headers, body),) = hook.requests
    assert path == "/hooks/T0/secret-token"
    assert headers["Content-Type"] == "application/json"
    assert body["source"] == "certdesk"
    assert body["alerts"] == [a.as_dict() for a in ALERTS]
    assert "2 certificate alerts" in body["text"] and "'api' failed" in body["text"]


def test_webhook_retries_until_it_succeeds() -> None:
    sleeps = Sleeps()
    with webhook_receiver([500, 503]) as hook:
        settings = NotifySettings(webhook_urls=(hook.url,), webhook_retry_base=0.5)
        result = Notifier(settings, sleep=sleeps).send(ALERTS[:1])
    assert result.ok
    assert result.deliveries[0].attempts == 3
    assert len(hook.requests) == 3
    assert all(r[2] == hook.requests[0][2] for r in hook.requests)  # the same payload each time
    assert sleeps.delays == [0.5, 1.0]


def test_webhook_gives_up_after_the_bounded_attempts(caplog: pytest.LogCaptureFixture) -> None:
    sleeps = Sleeps()
    with webhook_receiver([500] * 10) as hook:
        settings = NotifySettings(webhook_urls=(hook.url,), webhook_attempts=4)
        with caplog.at_level(logging.WARNING):
            result = Notifier(settings, sleep=sleeps).send(ALERTS)
    assert not result.ok
    (failed,) = result.failed
    assert failed.attempts == 4 and failed.error == "HTTP 500 Internal Server Error"
    assert len(hook.requests) == 4
    assert sleeps.delays == [1.0, 2.0, 4.0]
    assert "failed after 4 attempt(s)" in caplog.text
    assert "secret-token" not in caplog.text


def test_webhook_client_error_is_not_retried() -> None:
    with webhook_receiver([404]) as hook:
        result = Notifier(NotifySettings(webhook_urls=(hook.url,)), sleep=Sleeps()).send(ALERTS)
    assert result.failed[0].attempts == 1
    assert result.failed[0].error == "HTTP 404 Not Found"


def test_webhook_429_waits_for_retry_after() -> None:
    sleeps = Sleeps()

    with webhook_receiver([429]) as hook:
        settings = NotifySettings(webhook_urls=(hook.url,), webhook_retry_base=0.1)
        result = Notifier(settings, sleep=sleeps).send(ALERTS)
    assert result.ok and result.deliveries[0].attempts == 2
    assert sleeps.delays == [0.1]  # no Retry-After header: the base delay


def test_unreachable_webhook_is_reported_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://{LOOPBACK}:{free_port()}/hooks/secret-token"
    with caplog.at_level(logging.WARNING):
        result = Notifier(NotifySettings(webhook_urls=(url,)), sleep=Sleeps()).send(ALERTS)
    (failed,) = result.failed
    assert failed.attempts == 4
    assert failed.error is not None and failed.error.startswith("ConnectError")
    assert "secret-token" not in caplog.text and "secret-token" not in failed.error


def test_one_dead_webhook_does_not_stop_the_others() -> None:
    dead = f"http://{LOOPBACK}:{free_port()}/dead"
    with webhook_receiver() as hook:
        settings = NotifySettings(webhook_urls=(dead, hook.url), webhook_attempts=2)
        result = Notifier(settings, sleep=Sleeps()).send(ALERTS)
    assert [d.ok for d in result.deliveries] == [False, True]
    assert len(hook.requests) == 1


def test_email_reaches_the_smtp_server() -> None:
    with mail_receiver() as mail:
        settings = NotifySettings(
            smtp_host=LOOPBACK,
            smtp_port=mail.port,
            smtp_from="certdesk@example.com",
            smtp_to=("ops@example.com", "oncall@example.com"),
            smtp_starttls=False,
        )
        result = Notifier(settings).send(ALERTS)
    assert result.ok, result
    assert result.deliveries[0].target == f"smtp://{LOOPBACK}:{mail.port}"
    assert mail.envelopes == [("certdesk@example.com", ["ops@example.com", "oncall@example.com"])]
    (message,) = mail.messages
    assert message["Subject"] == "certdesk: expired, renewal failed - api, web"
    body = message.get_payload()
    assert isinstance(body, str)
    assert "[expired] Certificate 'web' expired" in body
    assert "[renewal_failed] Renewing certificate 'api' failed" in body


def test_email_with_starttls_and_login(tmp_path: Path) -> None:
    tls = _write_tls_files(tmp_path)
    with mail_receiver(tls=(tls.certificate, tls.private_key), password="p4ss") as mail:
        settings = NotifySettings(
            smtp_host=LOOPBACK,
            smtp_port=mail.port,
            smtp_from="certdesk@example.com",
            smtp_to=("ops@example.com",),
            smtp_username="certdesk",
            smtp_password="p4ss",
            smtp_ca_file=tls.ca_bundle,
        )
        result = Notifier(settings).send(ALERTS[:1])
    assert result.ok, result
    assert mail.logins == ["certdesk"]
    assert len(mail.messages) == 1
    assert mail.messages[0]["Subject"] == "certdesk: expired - web"


def test_email_failures_are_reported_without_the_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tls = _write_tls_files(tmp_path)
    with mail_receiver(tls=(tls.certificate, tls.private_key), password="right") as mail:
        wrong_password = NotifySettings(
            smtp_host=LOOPBACK,
            smtp_port=mail.port,
            smtp_from="c@example.com",
            smtp_to=("o@example.com",),
            smtp_username="certdesk",
            smtp_password="wr0ng-pw",
            smtp_ca_file=tls.ca_bundle,
        )
        untrusted = NotifySettings(
            smtp_host=LOOPBACK,
            smtp_port=mail.port,
            smtp_from="c@example.com",
            smtp_to=("o@example.com",),
        )
        with caplog.at_level(logging.WARNING):
            auth_failed = Notifier(wrong_password).send(ALERTS)
            tls_failed = Notifier(untrusted).send(ALERTS)
    assert mail.messages == []
    assert auth_failed.failed[0].error is not None
    assert auth_failed.failed[0].error.startswith("SMTPAuthenticationError")
    assert tls_failed.failed[0].error is not None
    assert "CERTIFICATE_VERIFY_FAILED" in tls_failed.failed[0].error
    assert "wr0ng-pw" not in caplog.text


def test_no_alerts_send_nothing() -> None:
    with webhook_receiver() as hook:
        result = Notifier(NotifySettings(webhook_urls=(hook.url,))).send([])
    assert result.deliveries == () and hook.requests == []


def test_unreachable_smtp_server_is_reported() -> None:
    settings = NotifySettings(
        smtp_host=LOOPBACK,
        smtp_port=free_port(),
        smtp_from="c@example.com",
        smtp_to=("o@example.com",),
        smtp_timeout=5,
    )
    result = Notifier(settings).send(ALERTS)
    assert result.failed[0].error is not None
    assert result.failed[0].error.startswith("ConnectionRefusedError")
