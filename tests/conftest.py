"""Shared test plumbing: the servers (PostgreSQL, BIND9, Pebble, PowerDNS) are started at most
once per test run by the fixture modules below, on free loopback ports."""

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.bind",
    "tests.fixtures.pebble",
    "tests.fixtures.pdns",
]
