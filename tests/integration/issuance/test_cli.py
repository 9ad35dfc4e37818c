"""``certdesk acme create`` and ``certdesk cert …`` end to end against Pebble and BIND9: progress
lines on stderr, the certificate listed, shown, downloaded and deleted (revoked at Pebble); a DNS
failure exits 4 and says why, bad input exits 2 with every error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509

from tests.fixtures.bind import BindServer
from tests.fixtures.cli import CLI
from tests.fixtures.pebble import PebbleServer
from tests.integration.issuance.helpers import unique_domain

pytestmark = [pytest.mark.pebble, pytest.mark.bind]


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CLI:
    for name in ("CERTDESK_DATABASE_URL", "CERTDESK_SECRET_KEYS", "CERTDESK_DNS_RESOLVERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CERTDESK_PROPAGATION_INTERVAL", "0.05")
    return CLI(tmp_path / "data", capsys)


def add_bind(cli: CLI, bind: BindServer, name: str, secret: str | None = None) -> None:
    cli.ok(
        "authenticator",
        "add",
        "--name",
        name,
        "--type",
        "rfc2136",
        "--attr",
        f"server={bind.host}",
        "--attr",
        f"port={bind.port}",
        "--attr",
        f"key_name={bind.tsig_name}",
        "--attr",
        f"key_secret={secret or bind.tsig_secret}",
    )


def test_acme_create_then_cert_commands(
    cli: CLI, pebble: PebbleServer, bind_server: BindServer, tmp_path: Path
) -> None:
    a, b = unique_domain(), unique_domain()
    cli.ok(
        "csr",
        "create",
        "--name",
        "web-csr",
        "--profile",
        "HTTPS ECC Certificate",
        "--common",
        a,
        "--san",
        a,
        "--san",
        f"DNS:{b}",
    )
    add_bind(cli, bind_server, "bind")
    code, out, err = cli(
        "acme",
        "create",
        "--name",
        "web",
        "--csr",
        "web-csr",
        "--tos",
        "--directory",
        pebble.directory_url,
        "--ca-bundle",
        str(pebble.ca_bundle),
        "--renew-days",
        "15",
        "--dns",
        f"{a}=bind",
        "--dns",
        f"{b}=bind",
    )
    assert code == 0, err
    assert "[100%]" in err and "New order for certificate issuance placed" in err
    assert "Certificate web issued" in out

    listed = json.loads(cli.ok("cert", "list", "--json"))
    assert [c["name"] for c in listed["items"]] == ["web"]
    shown = json.loads(cli.ok("cert", "show", "web", "--json"))
    assert sorted(shown["domains"]) == sorted([a, b])
    assert shown["renew_days"] == 15
    assert shown["dns_mapping"] == {a: "bind", b: "bind"}

    target = tmp_path / "web.crt"
    cli.ok("cert", "download", "web", "-o", str(target))
    leaf = x509.load_pem_x509_certificates(target.read_bytes())[0]
    key_out = cli.ok("cert", "download", "web", "--key")
    assert "PRIVATE KEY" in key_out

    out = cli.ok("cert", "delete", "web")
    assert "Revoked at the CA" in out
    assert pebble.is_revoked(leaf.serial_number)
    code, _, err = cli("cert", "show", "web")
    assert code == 3


def test_dns_failure_exits_4_and_bad_input_exits_2(
    cli: CLI, pebble: PebbleServer, bind_server: BindServer
) -> None:
    a = unique_domain()
    cli.ok(
        "csr",
        "create",
        "--name",
        "c1",
        "--profile",
        "HTTPS ECC Certificate",
        "--common",
        a,
        "--san",
        a,
    )
    add_bind(cli, bind_server, "wrong", secret="d3Jvbmcgc2VjcmV0IGZvciB0ZXN0aW5nIG9ubHkhIQ==")
    code, _, err = cli(
        "acme",
        "create",
        "--name",
        "c1-cert",
        "--csr",
        "c1",
        "--tos",
        "--directory",
        pebble.directory_url,
        "--ca-bundle",
        str(pebble.ca_bundle),
        "--dns",
        f"{a}=wrong",
    )
    assert code == 4, err
    assert "TSIG" in err
    assert bind_server.query_txt(f"_acme-challenge.{a}.") == []

    code, _, err = cli(
        "acme",
        "create",
        "--name",
        "bad name",
        "--csr",
        "c1",
        "--directory",
        "http://example.org/dir",
        "--dns",
        f"{a}=nobody",
        "--renew-days",
        "0",
    )
    assert code == 2
    assert "nobody" in err
    code, _, err = cli(
        "acme",
        "create",
        "--name",
        "bad name",
        "--csr",
        "c1",
        "--directory",
        "http://example.org/dir",
        "--dns",
        f"{a}=wrong",
        "--renew-days",
        "0",
    )
    assert code == 2
    for field in ("name", "tos", "renew_days", "acme_directory_uri"):
        assert f"certdesk: {field}:" in err
