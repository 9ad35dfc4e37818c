"""Alerts about certificates, and sending them to people: webhooks (JSON POST) and email (SMTP).

``current_alerts`` is pure: from the certificates' facts and ``now`` it lists what needs attention
(expired, renewal failed, deploy failed, expiring within its Renew Certificate Days) — the UI's
banner and the scheduler's notifications both come from it. ``Notifier.send`` delivers alerts to
the channels ``NotifySettings`` configures (``services.notify_settings``, re-exported here).
Webhooks are retried a bounded number of times with exponential backoff on network errors, 408,
429 and 5xx answers. Sending never raises into the caller: every delivery is returned in a
``NotifyResult`` and failures are logged, with webhook URLs shortened to scheme and host (their
paths often hold tokens) and never a password. ``Notifier.start`` (the app's lifespan) runs a
``DeliveryWorker`` (``services.notify_worker``); from then on ``Notifier.deliver`` queues and
returns at once, so retries never hold up the renewal sweep. Unstarted, ``deliver`` sends in
place (one-off sweeps, tests).
"""

from __future__ import annotations

import enum
import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import httpx

from certdesk.services.notify_settings import NotifySettings as NotifySettings
from certdesk.services.notify_worker import (
    DEFAULT_CAPACITY,
    DEFAULT_SHUTDOWN_DEADLINE,
    DeliveryOutcome,
    DeliveryWorker,
)
from certdesk.services.renewal_policy import CertificateFacts

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 429})
MAX_RETRY_DELAY = 60.0


class AlertKind(enum.StrEnum):
    """What an alert is about, most severe first."""

    EXPIRED = "expired"
    RENEWAL_FAILED = "renewal_failed"
    DEPLOY_FAILED = "deploy_failed"
    EXPIRING = "expiring"


_SEVERITY = {kind: rank for rank, kind in enumerate(AlertKind)}


@dataclass(frozen=True)
class Alert:
    """One thing that needs attention: its kind, the certificate's name, a sentence, and when it
    was raised."""

    kind: AlertKind
    certificate: str
    message: str
    at: datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind.value,
            "certificate": self.certificate,
            "message": self.message,
            "at": self.at.isoformat(),
        }


def _left(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return f"{max(hours, 0):.0f} hours"
    return f"{hours / 24:.0f} days"


def _tail(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else "…" + text[-limit:]


def current_alerts(certs: Sequence[CertificateFacts], now: datetime) -> list[Alert]:
    """What needs attention now, most severe first, then by certificate name."""
    alerts: list[Alert] = []
    for cert in certs:
        when = f"{cert.not_after:%Y-%m-%d %H:%M} UTC"
        if now >= cert.not_after:
            alerts.append(
                Alert(
                    AlertKind.EXPIRED,
                    cert.name,
                    f"Certificate '{cert.name}' expired on {when}; services using it fail "
                    "TLS handshakes. Renew it now.",
                    now,
                )
            )
        elif now >= cert.not_after - timedelta(days=cert.renew_days):
            alerts.append(
                Alert(
                    AlertKind.EXPIRING,
                    cert.name,
                    f"Certificate '{cert.name}' expires on {when} (in "
                    f"{_left(cert.not_after - now)}) and has not been renewed yet.",
                    now,
                )
            )
        if cert.failure_count > 0:
            attempts = "1 attempt" if cert.failure_count == 1 else f"{cert.failure_count} attempts"
            error = f": {_tail(cert.last_error)}" if cert.last_error else "."
            alerts.append(
                Alert(
                    AlertKind.RENEWAL_FAILED,
                    cert.name,
                    f"Renewing certificate '{cert.name}' failed ({attempts}){error}",
                    now,
                )
            )
        if cert.deploy_error:
            alerts.append(
                Alert(
                    AlertKind.DEPLOY_FAILED,
                    cert.name,
                    f"Deploying certificate '{cert.name}' failed: {_tail(cert.deploy_error)}",
                    now,
                )
            )
    alerts.sort(key=lambda a: (_SEVERITY[a.kind], a.certificate))
    return alerts


@dataclass(frozen=True)
class Delivery:
    """How sending to one destination went; ``target`` is safe to show (no path, no secret)."""

    channel: str
    target: str
    ok: bool
    attempts: int
    error: str | None = None


@dataclass(frozen=True)
class NotifyResult:
    """Every delivery of one ``send``."""

    deliveries: tuple[Delivery, ...] = ()

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.deliveries)

    @property
    def failed(self) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if not d.ok)


def redact_url(url: str) -> str:
    """``scheme://host[:port]/…``: enough to recognise a webhook, without its path or query
    (Slack-style URLs carry their token there) or any userinfo."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    tail = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{tail}"


def _summary(alerts: Sequence[Alert]) -> str:
    if len(alerts) == 1:
        return alerts[0].message
    return f"{len(alerts)} certificate alerts:\n" + "\n".join(f"- {a.message}" for a in alerts)


def _subject(alerts: Sequence[Alert]) -> str:
    names = sorted({a.certificate for a in alerts})
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    kinds = ", ".join(dict.fromkeys(a.kind.value.replace("_", " ") for a in alerts))
    return f"certdesk: {kinds} - {shown}"


class Notifier:
    """Sends alerts to every configured channel; never raises. ``sleep`` (default: a wait that
    ``stop`` cuts short) is how retry back-off waits."""

    def __init__(
        self,
        settings: NotifySettings,
        *,
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self.settings = settings
        self._interrupt = threading.Event()
        self._sleep = sleep or self._interrupt.wait
        self._transport = transport
        self.worker = DeliveryWorker(self.send, self._interrupt, capacity=capacity)

    # -- in the background ---------------------------------------------------------------------

    def start(self) -> Notifier:
        """Deliver in the worker thread from now on (``deliver`` queues and returns at once)."""
        self.worker.start()
        return self

    def stop(self, deadline: float = DEFAULT_SHUTDOWN_DEADLINE) -> bool:
        """Stop accepting; queued and in-flight deliveries get ``deadline`` seconds, then retries
        are cut short and the rest dropped (logged). Never hangs; true when all was tried."""
        return self.worker.stop(deadline)

    @contextmanager
    def running(self, deadline: float = DEFAULT_SHUTDOWN_DEADLINE) -> Iterator[Notifier]:
        """Started for the duration of the block (the app's lifespan)."""
        self.start()
        try:
            yield self
        finally:
            self.stop(deadline)

    def deliver(self, alerts: Sequence[Alert]) -> NotifyResult | None:
        """Queue ``alerts`` for the worker and return ``None`` at once when it runs; otherwise
        send them now and return how that went."""
        if self.worker.accepting:
            self.worker.submit(alerts)
            return None
        return self.send(alerts)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued batch has been tried; false at ``timeout``."""
        return self.worker.wait_idle(timeout)

    @property
    def last_outcome(self) -> DeliveryOutcome | None:
        """The worker's latest batch and its ``NotifyResult``."""
        return self.worker.last_outcome

    # -- sending -------------------------------------------------------------------------------

    def send(self, alerts: Sequence[Alert]) -> NotifyResult:
        """Deliver ``alerts`` now (one webhook POST per URL, one email) and say how each went."""
        if not alerts:
            return NotifyResult()
        deliveries: list[Delivery] = []
        if self.settings.webhook_urls:
            payload = {
                "source": "certdesk",
                "text": _summary(alerts),
                "alerts": [a.as_dict() for a in alerts],
            }
            with httpx.Client(
                timeout=self.settings.webhook_timeout, transport=self._transport
            ) as client:
                for url in self.settings.webhook_urls:
                    deliveries.append(self._post(client, url, payload))
        if self.settings.email_enabled:
            deliveries.append(self._email(alerts))
        for delivery in deliveries:
            if not delivery.ok:
                log.warning(
                    "alert %s to %s failed after %d attempt(s): %s",
                    delivery.channel,
                    delivery.target,
                    delivery.attempts,
                    delivery.error,
                )
        return NotifyResult(tuple(deliveries))

    def _post(self, client: httpx.Client, url: str, payload: object) -> Delivery:
        target = redact_url(url)
        attempts = max(1, self.settings.webhook_attempts)
        error = "not sent"
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            try:
                response = client.post(url, json=payload, follow_redirects=False)
            except httpx.TransportError as exc:
                error = f"{type(exc).__name__}: {str(exc).replace(url, target) or 'no detail'}"
            else:
                if response.is_success:
                    return Delivery("webhook", target, True, attempt)
                error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                if response.status_code < 500 and response.status_code not in RETRYABLE_STATUS:
                    return Delivery("webhook", target, False, attempt, error)
                retry_after = _retry_after(response)
            if attempt < attempts:
                delay = self.settings.webhook_retry_base * 2 ** (attempt - 1)
                if retry_after is not None:
                    delay = max(delay, retry_after)
                self._sleep(min(delay, MAX_RETRY_DELAY))
                if self._interrupt.is_set():  # shutting down past the deadline: no more tries
                    return Delivery("webhook", target, False, attempt, f"{error}; shut down")
        return Delivery("webhook", target, False, attempts, error)

    def _email(self, alerts: Sequence[Alert]) -> Delivery:
        s = self.settings
        assert s.smtp_host is not None and s.smtp_from is not None
        target = f"smtp://{s.smtp_host}:{s.smtp_port}"
        message = EmailMessage()
        message["Subject"] = _subject(alerts)
        message["From"] = s.smtp_from
        message["To"] = ", ".join(s.smtp_to)
        lines = [f"[{a.kind.value}] {a.message}" for a in alerts]
        message.set_content("\n\n".join(lines) + "\n\n— certdesk\n")
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=s.smtp_ca_file))
                if s.smtp_username is not None and s.smtp_password is not None:
                    smtp.login(s.smtp_username, s.smtp_password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            detail = str(exc)
            if s.smtp_password:
                detail = detail.replace(s.smtp_password, "***")
            return Delivery("email", target, False, 1, f"{type(exc).__name__}: {_tail(detail)}")
        return Delivery("email", target, True, 1)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
