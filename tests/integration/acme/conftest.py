"""Fixtures of the ACME client tests (Pebble and BIND9 come from tests/fixtures)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.acme.scripted_ca import ScriptedCA


@pytest.fixture
def scripted_ca() -> Iterator[ScriptedCA]:
    """A scripted ACME server on a free loopback port, stopped after the test."""
    server = ScriptedCA().start()
    try:
        yield server
    finally:
        server.stop()
