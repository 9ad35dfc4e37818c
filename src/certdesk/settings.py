"""Validated settings, built once by the entry point and passed down (no import-time globals).

Sources, later ones winning: defaults, the environment (``CERTDESK_*``), explicit arguments given
by the CLI. Nothing here reads files or opens connections.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from certdesk.errors import InvalidInput

ENV_PREFIX = "CERTDESK_"
_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True}
_BOOLEANS |= {"0": False, "false": False, "no": False, "off": False}


def default_data_dir() -> Path:
    """The platform's user data directory for certdesk."""
    return Path(platformdirs.user_data_dir("certdesk", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Everything certdesk needs to know about its surroundings."""

    data_dir: Path = field(default_factory=default_data_dir)
    #: SQLAlchemy URL; ``None`` means SQLite at ``<data_dir>/certdesk.db``.
    database_url: str | None = None
    #: Fernet keys (urlsafe base64), newest first. Empty: a key file in the data directory.
    secret_keys: tuple[str, ...] = ()
    #: Resolvers used to find authoritative nameservers; empty means the system's.
    dns_resolvers: tuple[str, ...] = ()
    #: Seconds between two polls of a nameserver during a propagation check.
    propagation_interval: float = 0.2
    #: Seconds a propagation check may take before it fails (per authenticator type default).
    propagation_timeout: float = 120.0
    #: Worker threads running jobs inside ``certdesk serve``.
    workers: int = 2
    #: Mark session cookies Secure (set when served behind HTTPS).
    cookie_secure: bool = False
    #: Login attempts allowed per username and client address per minute.
    login_attempts_per_minute: int = 10
    #: Run the renewal scheduler inside ``certdesk serve`` (env ``CERTDESK_SCHEDULER=0``: off).
    scheduler: bool = True

    @property
    def certificates_dir(self) -> Path:
        """Where ``<name>.csr``, ``<name>.key`` and ``<name>.crt`` are written for services."""
        return self.data_dir / "certificates"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'certdesk.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``CERTDESK_*`` variables; a bad value raises InvalidInput naming it."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, object] = {}

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value.strip() if value and value.strip() else None

        if (value := get("DATA_DIR")) is not None:
            kwargs["data_dir"] = Path(value).expanduser()
        if (value := get("DATABASE_URL")) is not None:
            kwargs["database_url"] = _normalise_database_url(value)
        if (value := get("SECRET_KEYS")) is not None:
            kwargs["secret_keys"] = tuple(k.strip() for k in value.split(",") if k.strip())
        if (value := get("DNS_RESOLVERS")) is not None:
            kwargs["dns_resolvers"] = tuple(r.strip() for r in value.split(",") if r.strip())
        for name, attr, kind in (
            ("PROPAGATION_INTERVAL", "propagation_interval", float),
            ("PROPAGATION_TIMEOUT", "propagation_timeout", float),
            ("WORKERS", "workers", int),
            ("LOGIN_ATTEMPTS_PER_MINUTE", "login_attempts_per_minute", int),
        ):
            if (value := get(name)) is not None:
                try:
                    number = kind(value)
                except ValueError:
                    raise InvalidInput.single(
                        ENV_PREFIX + name, f"must be a number, not {value!r}"
                    ) from None
                if number <= 0:
                    raise InvalidInput.single(ENV_PREFIX + name, "must be greater than zero")
                kwargs[attr] = number
        if (value := get("COOKIE_SECURE")) is not None:
            kwargs["cookie_secure"] = value.lower() in {"1", "true", "yes", "on"}
        if (value := get("SCHEDULER")) is not None:
            if value.lower() not in _BOOLEANS:
                raise InvalidInput.single(
                    ENV_PREFIX + "SCHEDULER", f"must be 1 or 0 (true or false), not {value!r}"
                )
            kwargs["scheduler"] = _BOOLEANS[value.lower()]
        return cls(**kwargs)  # type: ignore[arg-type]


def _normalise_database_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
