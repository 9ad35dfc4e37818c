"""Helpers for the DNS integration tests: a UDP port that swallows queries and never answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest


@pytest.fixture
def unanswering_udp() -> Iterator[int]:
    """A loopback UDP port bound by a socket that never reads or replies (a dead nameserver)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
