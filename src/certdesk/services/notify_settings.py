"""Where alerts go: ``NotifySettings``, the webhook URLs and SMTP server read from the
environment (``CERTDESK_WEBHOOK_URLS``, ``CERTDESK_SMTP_*``), every bad value reported at once
as ``InvalidInput`` naming the variable. ``services.notify`` re-exports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from certdesk.errors import FieldError, InvalidInput

ENV_PREFIX = "CERTDESK_"


@dataclass(frozen=True)
class NotifySettings:
    """Where alerts go. No webhook URLs and no SMTP host: nowhere (the UI banner only)."""

    webhook_urls: tuple[str, ...] = ()
    webhook_attempts: int = 4
    webhook_timeout: float = 10.0
    #: Seconds before the first webhook retry; each further retry waits twice as long.
    webhook_retry_base: float = 1.0
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_from: str | None = None
    smtp_to: tuple[str, ...] = ()
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = True
    #: CA certificates (PEM) to trust for the SMTP server's STARTTLS, for a private mail relay;
    #: ``None``: the system's trust store. Verification is never switched off.
    smtp_ca_file: Path | None = None
    smtp_timeout: float = 30.0

    @property
    def email_enabled(self) -> bool:
        return self.smtp_host is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> NotifySettings:
        """Settings from ``CERTDESK_WEBHOOK_URLS`` (comma-separated) and ``CERTDESK_SMTP_HOST``,
        ``_PORT``, ``_FROM``, ``_TO`` (comma-separated), ``_USERNAME``, ``_PASSWORD``,
        ``_STARTTLS`` (default true), ``_CA_FILE``; every bad value at once as ``InvalidInput``
        naming the variable."""

        def get(name: str) -> str | None:
            value = environ.get(ENV_PREFIX + name, "").strip()
            return value or None

        def split(value: str | None) -> tuple[str, ...]:
            return tuple(v.strip() for v in (value or "").split(",") if v.strip())

        errors: list[FieldError] = []
        urls = split(get("WEBHOOK_URLS"))
        for index, url in enumerate(urls):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                errors.append(
                    FieldError(
                        f"{ENV_PREFIX}WEBHOOK_URLS.{index}",
                        "must be an http:// or https:// URL with a host.",
                    )
                )
        host = get("SMTP_HOST")
        port = 587
        if (raw_port := get("SMTP_PORT")) is not None:
            if raw_port.isdigit() and 0 < int(raw_port) < 65536:
                port = int(raw_port)
            else:
                errors.append(
                    FieldError(f"{ENV_PREFIX}SMTP_PORT", "must be a port number from 1 to 65535.")
                )
        sender, recipients = get("SMTP_FROM"), split(get("SMTP_TO"))
        username, password = get("SMTP_USERNAME"), get("SMTP_PASSWORD")
        if host is not None:
            if sender is None:
                errors.append(
                    FieldError(f"{ENV_PREFIX}SMTP_FROM", "is needed with SMTP_HOST: the sender.")
                )
            if not recipients:
                errors.append(
                    FieldError(
                        f"{ENV_PREFIX}SMTP_TO",
                        "is needed with SMTP_HOST: comma-separated recipient addresses.",
                    )
                )
        for name, value in (("SMTP_FROM", sender), *(("SMTP_TO", r) for r in recipients)):
            if value is not None and "@" not in value:
                errors.append(FieldError(ENV_PREFIX + name, "must be an email address."))
        if (username is None) != (password is None):
            errors.append(
                FieldError(
                    f"{ENV_PREFIX}SMTP_PASSWORD"
                    if password is None
                    else f"{ENV_PREFIX}SMTP_USERNAME",
                    "SMTP_USERNAME and SMTP_PASSWORD go together: set both or neither.",
                )
            )
        starttls = True
        if (raw := get("SMTP_STARTTLS")) is not None:
            if raw.lower() not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
                errors.append(FieldError(f"{ENV_PREFIX}SMTP_STARTTLS", "must be true or false."))
            starttls = raw.lower() in {"1", "true", "yes", "on"}
        ca_file = Path(raw_ca) if (raw_ca := get("SMTP_CA_FILE")) is not None else None
        if ca_file is not None and not (ca_file.is_absolute() and ca_file.is_file()):
            errors.append(
                FieldError(f"{ENV_PREFIX}SMTP_CA_FILE", "must be the absolute path of a PEM file.")
            )
        if errors:
            raise InvalidInput(errors)
        return cls(
            webhook_urls=urls,
            smtp_host=host,
            smtp_port=port,
            smtp_from=sender,
            smtp_to=recipients,
            smtp_username=username,
            smtp_password=password,
            smtp_starttls=starttls,
            smtp_ca_file=ca_file,
        )
