"""Checks that each test server the fixtures start really answers."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import dns.flags
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update
import httpx
import pytest
from cryptography import x509
from sqlalchemy import create_engine, text

from tests.fixtures.bind import BindServer
from tests.fixtures.pdns import PowerDNSServer
from tests.fixtures.pebble import EAB_KEYS, PebbleServer
from tests.fixtures.postgres import DatabasePool, PostgresServer


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


def test_pebble_directory_is_served_over_trusted_https(pebble: PebbleServer) -> None:
    response = httpx.get(pebble.directory_url, verify=pebble.ssl_context(), timeout=10)
    assert response.status_code == 200
    assert {"newAccount", "newNonce", "newOrder", "revokeCert"} <= set(response.json())
    with pytest.raises(httpx.ConnectError):
        httpx.get(pebble.directory_url, timeout=10)  # not trusted without the bundle
    assert pebble.dns_port > 0


def test_pebble_root_is_a_ca_certificate(pebble: PebbleServer) -> None:
    root = x509.load_pem_x509_certificate(pebble.root_pem().encode())
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    intermediate = x509.load_pem_x509_certificate(pebble.intermediate_pem().encode())
    assert intermediate.issuer == root.subject


def test_pebble_knows_no_unissued_serial(pebble: PebbleServer) -> None:
    assert pebble.cert_status("0xDEADBEEF") is None


def _lego(
    pebble: PebbleServer, bind_server: BindServer, workdir: Path, domain: str, *command: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "LEGO_CA_CERTIFICATES": pebble.ca_bundle,
        "RFC2136_NAMESERVER": bind_server.address,
        "RFC2136_TSIG_KEY": bind_server.tsig_name,
        "RFC2136_TSIG_SECRET": bind_server.tsig_secret,
        "RFC2136_TSIG_ALGORITHM": bind_server.tsig_algorithm + ".",
        "RFC2136_POLLING_INTERVAL": "1",
        "RFC2136_PROPAGATION_TIMEOUT": "30",
    }
    argv = [
        "lego",
        "--server",
        pebble.directory_url,
        "--email",
        "fixtures@certdesk.test",
        "--accept-tos",
        "--path",
        str(workdir / "lego"),
        "--key-type",
        "ec256",
        "--dns",
        "rfc2136",
        "--dns.resolvers",
        bind_server.address,
        "--dns.disable-cp",
        "--domains",
        domain,
        *command,
    ]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_pebble_validates_dns01_through_bind_and_records_revocation(
    pebble: PebbleServer, bind_server: BindServer, tmp_path: Path
) -> None:
    domain = f"t{uuid.uuid4().hex[:8]}.certdesk.test"
    _lego(pebble, bind_server, tmp_path, domain, "run")
    chain = (tmp_path / "lego" / "certificates" / f"{domain}.crt").read_bytes()
    leaf = x509.load_pem_x509_certificates(chain)[0]
    assert leaf.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    ).value.get_values_for_type(x509.DNSName) == [domain]
    status = pebble.cert_status(leaf.serial_number)
    assert status is not None and status.status == "Valid" and status.revoked_at is None
    assert pebble.cert_status(f"{leaf.serial_number:X}") == status

    _lego(pebble, bind_server, tmp_path, domain, "revoke", "--reason", "4")
    revoked = pebble.cert_status(leaf.serial_number)
    assert revoked is not None and revoked.revoked and revoked.reason == 4
    assert revoked.revoked_at is not None and revoked.revoked_at.tzinfo is not None
    assert pebble.is_revoked(leaf.serial_number)


def test_pebble_factory_starts_noisy_and_eab_instances(
    pebble: PebbleServer, pebble_noisy: PebbleServer, pebble_eab: PebbleServer
) -> None:
    assert len({pebble.directory_url, pebble_noisy.directory_url, pebble_eab.directory_url}) == 3
    assert "PEBBLE_VA_NOSLEEP" not in pebble_noisy.env
    assert pebble_noisy.env["PEBBLE_WFE_NONCEREJECT"] == "30"
    for server, eab_required in ((pebble_noisy, False), (pebble_eab, True)):
        directory = httpx.get(server.directory_url, verify=server.ssl_context(), timeout=10)
        meta = directory.json().get("meta", {})
        assert bool(meta.get("externalAccountRequired")) is eab_required
    assert set(pebble_eab.eab_keys) == set(EAB_KEYS)
    # each start has its own CA for issued certificates
    assert pebble_noisy.root_pem() != pebble.root_pem()


def test_pebble_factory_refuses_always_valid(pebble_factory: Callable[..., PebbleServer]) -> None:
    with pytest.raises(ValueError, match="PEBBLE_VA_ALWAYS_VALID"):
        pebble_factory(env={"PEBBLE_VA_ALWAYS_VALID": "1"})


def test_pdns_api_lists_the_zone_and_dns_answers(pdns_server: PowerDNSServer) -> None:
    zones = pdns_server.api_get().json()
    assert [z["name"] for z in zones] == ["lexicon.test."]
    assert httpx.get(pdns_server.zones_url, timeout=10).status_code == 401  # key required
    soa = pdns_server.query("lexicon.test.", "SOA")
    assert soa.rcode() == dns.rcode.NOERROR and soa.flags & dns.flags.AA


def test_pdns_api_changes_are_served_over_dns(pdns_server: PowerDNSServer) -> None:
    name = f"_acme-challenge.{uuid.uuid4().hex[:8]}.lexicon.test."
    patch = {
        "rrsets": [
            {
                "name": name,
                "type": "TXT",
                "ttl": 60,
                "changetype": "REPLACE",
                "records": [{"content": '"api-token"', "disabled": False}],
            }
        ]
    }
    response = httpx.patch(
        pdns_server.zones_url + "/lexicon.test.",
        json=patch,
        headers={"X-API-Key": pdns_server.api_key},
        timeout=10,
    )
    assert response.status_code == 204, response.text
    assert pdns_server.query_txt(name) == ["api-token"]
    patch["rrsets"][0]["records"] = [{"content": '"second"', "disabled": False}]
    response = httpx.patch(
        pdns_server.zones_url + "/lexicon.test.",
        json=patch,
        headers={"X-API-Key": pdns_server.api_key},
        timeout=10,
    )
    assert response.status_code == 204, response.text
    assert pdns_server.query_txt(name) == ["second"]


def test_database_pool_hands_out_each_database_once(postgres_server: PostgresServer) -> None:
    pool = DatabasePool(postgres_server, size=1)
    try:
        names = [pool.take() for _ in range(3)]
    finally:
        pool.close()
    assert len(set(names)) == 3
    with postgres_server.connect() as conn:
        existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
    assert set(names) <= existing
    for name in names:
        postgres_server.drop_database(name)
    with postgres_server.connect() as conn:
        existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
    assert not set(names) & existing


def test_pebble_follows_a_cname_into_the_delegated_zone(
    pebble: PebbleServer, bind_server: BindServer, tmp_path: Path
) -> None:
    label = f"t{uuid.uuid4().hex[:8]}"
    domain = f"{label}.other.test"
    target = f"{label}.delegated.test."
    bind_server.update(f"_acme-challenge.{domain}.", "CNAME", target)
    result = _lego(pebble, bind_server, tmp_path, domain, "run")
    assert target.rstrip(".") in result.stdout + result.stderr  # lego wrote the TXT at the target
    assert (tmp_path / "lego" / "certificates" / f"{domain}.crt").is_file()
