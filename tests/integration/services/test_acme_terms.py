"""``acme_terms.terms_of_service_url`` against the test Pebble: the directory's terms of service
URL as the directory states it, kept for an hour, ``None`` (never an exception) for a directory
that cannot be fetched, and such a failure asked again after a minute."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from certdesk.clock import FrozenClock
from certdesk.services import acme_terms
from certdesk.services.context import AppContext
from certdesk.settings import Settings
from tests.fixtures.pebble import PebbleServer

pytestmark = pytest.mark.pebble


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def terms_ctx(tmp_path: Path, clock: FrozenClock) -> Iterator[AppContext]:
    acme_terms.clear_cache()
    opened = AppContext.open(Settings(data_dir=tmp_path / "data"), clock=clock)
    try:
        yield opened
    finally:
        opened.close()
        acme_terms.clear_cache()


def bundle(pebble: PebbleServer) -> str:
    return Path(pebble.ca_bundle).read_text()


def directory_terms(pebble: PebbleServer) -> str:
    """What Pebble's directory says, read independently of certdesk."""
    with httpx.Client(verify=pebble.ssl_context()) as client:
        meta = client.get(pebble.directory_url).json()["meta"]
    terms: str = meta["termsOfService"]
    return terms


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_the_directory_terms_are_returned_and_kept_for_an_hour(
    terms_ctx: AppContext, clock: FrozenClock, pebble: PebbleServer
) -> None:
    expected = directory_terms(pebble)
    assert expected
    url = acme_terms.terms_of_service_url(terms_ctx, pebble.directory_url, bundle(pebble))
    assert url == expected
    known = acme_terms.cached_terms_of_service_url(terms_ctx, pebble.directory_url, bundle(pebble))
    assert known == (True, expected)
    clock.advance(timedelta(minutes=59))
    assert acme_terms.cached_terms_of_service_url(
        terms_ctx, pebble.directory_url, bundle(pebble)
    ) == (True, expected)
    clock.advance(timedelta(minutes=2))
    assert acme_terms.cached_terms_of_service_url(
        terms_ctx, pebble.directory_url, bundle(pebble)
    ) == (False, None)
    assert (
        acme_terms.terms_of_service_url(terms_ctx, pebble.directory_url, bundle(pebble)) == expected
    )


def test_failures_are_none_and_asked_again_after_a_minute(
    terms_ctx: AppContext, clock: FrozenClock, pebble: PebbleServer
) -> None:
    # Pebble's HTTPS is not trusted without its CA bundle.
    assert acme_terms.terms_of_service_url(terms_ctx, pebble.directory_url) is None
    assert acme_terms.cached_terms_of_service_url(terms_ctx, pebble.directory_url) == (
        True,
        None,
    )
    clock.advance(timedelta(seconds=61))
    assert acme_terms.cached_terms_of_service_url(terms_ctx, pebble.directory_url) == (
        False,
        None,
    )
    # The same directory with its bundle is another entry, and works.
    assert acme_terms.terms_of_service_url(
        terms_ctx, pebble.directory_url, bundle(pebble)
    ) == directory_terms(pebble)
    # A bad URL, a bad bundle, nothing listening: None each time.
    assert acme_terms.terms_of_service_url(terms_ctx, "not a url") is None
    assert acme_terms.terms_of_service_url(terms_ctx, pebble.directory_url, "no PEM") is None
    unreachable = f"https://127.0.0.1:{closed_port()}/dir"
    assert acme_terms.terms_of_service_url(terms_ctx, unreachable, bundle(pebble)) is None
