"""The API tests run against a live server (``tests/fixtures/live_server.py``)."""

from tests.fixtures.live_server import live_server  # noqa: F401  (a fixture)
