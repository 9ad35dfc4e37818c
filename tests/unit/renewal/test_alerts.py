"""Alerts for the banner and notifications (pure, from facts and a fixed ``now``), the
notification settings read from the environment, and URL redaction for logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from certdesk.errors import InvalidInput
from certdesk.services.notify import (
    AlertKind,
    NotifySettings,
    current_alerts,
    redact_url,
)
from certdesk.services.renewal_policy import CertificateFacts

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def facts(name: str, expires_in: timedelta, **extra: object) -> CertificateFacts:
    not_after = NOW + expires_in
    return CertificateFacts(name, not_after - 90 * DAY, not_after, 10, **extra)  # type: ignore[arg-type]


def test_no_alerts_for_healthy_certificates() -> None:
    assert current_alerts([facts("a", 30 * DAY), facts("b", 11 * DAY)], NOW) == []


@pytest.mark.parametrize(
    ("cert", "kinds", "words"),
    [
        (
            facts("web", 5 * DAY),
            [AlertKind.EXPIRING],
            "expires on 2026-06-06 12:00 UTC (in 5 days)",
        ),
        (facts("web", 10 * DAY), [AlertKind.EXPIRING], "in 10 days"),
        (facts("web", timedelta(hours=20)), [AlertKind.EXPIRING], "in 20 hours"),
        (facts("web", timedelta(0)), [AlertKind.EXPIRED], "expired on 2026-06-01 12:00 UTC"),
        (facts("web", -3 * DAY), [AlertKind.EXPIRED], "Renew it now"),
        (
            facts("web", 30 * DAY, failure_count=2, last_error="DNS: no TXT record seen"),
            [AlertKind.RENEWAL_FAILED],
            "failed (2 attempts): DNS: no TXT record seen",
        ),
        (
            facts("web", 30 * DAY, deploy_error="command exited with status 1"),
            [AlertKind.DEPLOY_FAILED],
            "Deploying certificate 'web' failed: command exited with status 1",
        ),
        (
            facts("web", -DAY, failure_count=1, deploy_error="x"),
            [AlertKind.EXPIRED, AlertKind.RENEWAL_FAILED, AlertKind.DEPLOY_FAILED],
            "failed (1 attempt).",
        ),
    ],
)
def test_alert_kinds(cert: CertificateFacts, kinds: list[AlertKind], words: str) -> None:
    alerts = current_alerts([cert], NOW)
    assert [a.kind for a in alerts] == kinds
    assert any(words in a.message for a in alerts), [a.message for a in alerts]
    assert all(a.certificate == "web" and a.at == NOW for a in alerts)


def test_alerts_are_ordered_by_severity_then_name() -> None:
    certs = [
        facts("b", 2 * DAY),
        facts("a", 3 * DAY),
        facts("z", -DAY),
        facts("c", 50 * DAY, failure_count=1),
    ]
    alerts = current_alerts(certs, NOW)
    assert [(a.kind.value, a.certificate) for a in alerts] == [
        ("expired", "z"),
        ("renewal_failed", "c"),
        ("expiring", "a"),
        ("expiring", "b"),
    ]
    assert alerts[0].as_dict() == {
        "kind": "expired",
        "certificate": "z",
        "message": alerts[0].message,
        "at": "2026-06-01T12:00:00+00:00",
    }


def test_long_errors_are_shortened_to_their_tail() -> None:
    error = "x" * 1000 + " the end"
    (alert,) = current_alerts([facts("web", 40 * DAY, failure_count=1, last_error=error)], NOW)
    assert alert.message.endswith("the end")
    assert len(alert.message) < 400


def test_settings_from_env(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    env = {
        "CERTDESK_WEBHOOK_URLS": " https://hooks.example/a, http://127.0.0.1:9000/x ,",
        "CERTDESK_SMTP_HOST": "mail.example",
        "CERTDESK_SMTP_PORT": "2525",
        "CERTDESK_SMTP_FROM": "certdesk@example.com",
        "CERTDESK_SMTP_TO": "ops@example.com, oncall@example.com",
        "CERTDESK_SMTP_USERNAME": "certdesk",
        "CERTDESK_SMTP_PASSWORD": "s3cret",
        "CERTDESK_SMTP_STARTTLS": "false",
        "CERTDESK_SMTP_CA_FILE": str(ca),
    }
    s = NotifySettings.from_env(env)
    assert s.webhook_urls == ("https://hooks.example/a", "http://127.0.0.1:9000/x")
    assert (s.smtp_host, s.smtp_port, s.smtp_from) == (
        "mail.example",
        2525,
        env["CERTDESK_SMTP_FROM"],
    )
    assert s.smtp_to == ("ops@example.com", "oncall@example.com")
    assert (s.smtp_username, s.smtp_password, s.smtp_starttls) == ("certdesk", "s3cret", False)
    assert s.smtp_ca_file == ca
    assert s.email_enabled
    assert "s3cret" not in repr(s)


def test_empty_env_sends_nowhere() -> None:
    s = NotifySettings.from_env({})
    assert s.webhook_urls == () and not s.email_enabled and s.smtp_starttls


def test_settings_errors_all_at_once() -> None:
    env = {
        "CERTDESK_WEBHOOK_URLS": "ftp://x/y,https://ok.example/h,notaurl",
        "CERTDESK_SMTP_HOST": "mail.example",
        "CERTDESK_SMTP_PORT": "99999",
        "CERTDESK_SMTP_USERNAME": "u",
        "CERTDESK_SMTP_STARTTLS": "maybe",
        "CERTDESK_SMTP_CA_FILE": "relative.pem",
    }
    with pytest.raises(InvalidInput) as caught:
        NotifySettings.from_env(env)
    fields = {e.field: e.message for e in caught.value.errors}
    assert set(fields) == {
        "CERTDESK_WEBHOOK_URLS.0",
        "CERTDESK_WEBHOOK_URLS.2",
        "CERTDESK_SMTP_PORT",
        "CERTDESK_SMTP_FROM",
        "CERTDESK_SMTP_TO",
        "CERTDESK_SMTP_PASSWORD",
        "CERTDESK_SMTP_STARTTLS",
        "CERTDESK_SMTP_CA_FILE",
    }
    assert "set both or neither" in fields["CERTDESK_SMTP_PASSWORD"]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/…"),
        ("http://user:pw@127.0.0.1:8080/hook?token=abc", "http://127.0.0.1:8080/…"),
        ("https://example.com", "https://example.com"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
