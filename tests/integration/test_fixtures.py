"""Checks that each test server the fixtures start really answers."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import dns.flags
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update
from sqlalchemy import create_engine, text

from tests.fixtures.bind import BindServer
from tests.fixtures.postgres import PostgresServer


def test_postgres_answers_select_1(postgres_server: PostgresServer) -> None:
    with postgres_server.connect() as conn:
        row = conn.execute("SELECT 1").fetchone()
    assert row == (1,)


def test_postgres_url_is_a_fresh_empty_database(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            count = conn.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")
            ).scalar_one()
            name = conn.execute(text("SELECT current_database()")).scalar_one()
    finally:
        engine.dispose()
    assert count == 0
    assert name.startswith("t_")
    assert postgres_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")


def test_db_url_works_on_both_backends(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
            conn.execute(text("INSERT INTO probe (id) VALUES (7)"))
            assert conn.execute(text("SELECT id FROM probe")).scalar_one() == 7
    finally:
        engine.dispose()


def test_bind_answers_soa_for_each_zone(bind_server: BindServer) -> None:
    for zone in ("certdesk.test.", "other.test.", "delegated.test."):
        response = bind_server.query(zone, "SOA")
        assert response.rcode() == dns.rcode.NOERROR
        assert response.flags & dns.flags.AA
        assert response.answer[0].rdtype == dns.rdatatype.SOA


def test_bind_tsig_update_is_visible_then_removed(bind_server: BindServer) -> None:
    fqdn = f"_acme-challenge.{uuid.uuid4().hex[:8]}.certdesk.test."
    bind_server.update_txt(fqdn, "token-1")
    bind_server.update_txt(fqdn, "token 2")
    assert sorted(bind_server.query_txt(fqdn)) == ["token 2", "token-1"]
    bind_server.update_txt(fqdn, "token-1", delete=True)
    assert bind_server.query_txt(fqdn) == ["token 2"]


def test_bind_cname_into_delegated_zone_is_followed(bind_server: BindServer) -> None:
    label = uuid.uuid4().hex[:8]
    target = f"{label}.delegated.test."
    bind_server.update(f"_acme-challenge.{label}.other.test.", "CNAME", target)
    bind_server.update_txt(target, "via-cname")
    assert bind_server.query_txt(f"_acme-challenge.{label}.other.test.") == ["via-cname"]


def test_bind_refuses_unsigned_update(bind_server: BindServer) -> None:
    message = dns.update.UpdateMessage("certdesk.test.")
    message.add("unsigned.certdesk.test.", 60, "TXT", '"x"')
    response = dns.query.tcp(message, bind_server.host, port=bind_server.port, timeout=2)
    assert response.rcode() == dns.rcode.REFUSED


def test_bind_factory_starts_an_independent_server(
    bind_factory: Callable[..., BindServer], bind_server: BindServer
) -> None:
    extra = bind_factory(zones=["extra.test"])
    assert extra.port != bind_server.port
    assert extra.zones == ("extra.test.",)
    extra.update_txt("probe.extra.test", "only-here")
    assert extra.query_txt("probe.extra.test.") == ["only-here"]
    assert bind_server.query("probe.extra.test.", "TXT").rcode() == dns.rcode.NXDOMAIN


def test_bind_answers_like_an_authoritative_server_without_rd(bind_server: BindServer) -> None:
    label = uuid.uuid4().hex[:8]
    bind_server.update(
        f"_acme-challenge.{label}.certdesk.test.", "CNAME", f"{label}.delegated.test."
    )
    response = bind_server.query(f"_acme-challenge.{label}.certdesk.test.", "TXT")
    assert [rrset.rdtype for rrset in response.answer] == [dns.rdatatype.CNAME]
    outside = bind_server.query("example.com.", "A", recursion_desired=True, timeout=2)
    assert outside.rcode() == dns.rcode.NXDOMAIN
