"""The API tests run against a live server (``tests/fixtures/live_server.py``)."""

from tests.fixtures.live_server import live_server, shared_live_server  # noqa: F401  (fixtures)
