"""The web pages over plain HTTP run against the live server (``tests/fixtures/live_server.py``),
on SQLite and on PostgreSQL."""

from tests.fixtures.live_server import live_server  # noqa: F401  (a fixture)
