"""The terms of service of an ACME directory, for the Create ACME Certificate screen to link
to before the user accepts them. ``terms_of_service_url`` fetches the directory once (a short
timeout, no retries: a page waits for it) and keeps the answer for an hour per directory and
CA bundle; a directory that cannot be fetched gives ``None`` (the screen then says so) and is
asked again after a minute. It never raises: the terms are a courtesy, the issuance itself
checks the directory and reports its errors."""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from certdesk.acme import ACMEClient, RetryPolicy
from certdesk.errors import CertdeskError
from certdesk.services.context import AppContext

log = logging.getLogger(__name__)

#: How long a fetched answer (terms or none) is kept.
TTL = timedelta(hours=1)
#: How long a failure is kept (so reloading a page does not wait again at once).
FAILURE_TTL = timedelta(minutes=1)
#: Seconds one fetch of the directory may take.
TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class _Entry:
    url: str | None
    expires: datetime


_cache: dict[tuple[str, str], _Entry] = {}
_lock = threading.Lock()


def _key(directory_url: str, ca_bundle: str | None) -> tuple[str, str]:
    bundle = hashlib.sha256(ca_bundle.encode()).hexdigest() if ca_bundle else ""
    return directory_url.strip(), bundle


def cached_terms_of_service_url(
    ctx: AppContext, directory_url: str, ca_bundle: str | None = None
) -> tuple[bool, str | None]:
    """``(known, url)`` from the cache only, without a network call."""
    with _lock:
        entry = _cache.get(_key(directory_url, ca_bundle))
    if entry is None or entry.expires <= ctx.clock.now():
        return False, None
    return True, entry.url


def terms_of_service_url(
    ctx: AppContext, directory_url: str, ca_bundle: str | None = None
) -> str | None:
    """The URL of the terms of service the directory at ``directory_url`` names, or ``None``
    when it names none or cannot be fetched (bad URL or bundle, network, not a directory)."""
    known, url = cached_terms_of_service_url(ctx, directory_url, ca_bundle)
    if known:
        return url
    ttl = TTL
    try:
        client = ACMEClient.connect(
            directory_url,
            ca_bundle=ca_bundle or None,
            timeout=TIMEOUT_SECONDS,
            retry=RetryPolicy(transient_attempts=1, total_seconds=TIMEOUT_SECONDS),
            clock=ctx.clock,
        )
        url = client.terms_of_service()
    except CertdeskError as exc:
        log.info("No terms of service for %s: %s", directory_url, exc)
        url, ttl = None, FAILURE_TTL
    with _lock:
        _cache[_key(directory_url, ca_bundle)] = _Entry(url, ctx.clock.now() + ttl)
    return url


def clear_cache() -> None:
    """Forget every answer (tests; a changed CA bundle has its own entry anyway)."""
    with _lock:
        _cache.clear()
