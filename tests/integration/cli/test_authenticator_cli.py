"""The ``certdesk authenticator`` commands end to end, on SQLite and PostgreSQL: secrets from
files, never printed, kept on update; the Test action against the real BIND9; exit codes (2 bad
input, 3 not found, 4 DNS failure) with one-sentence errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.bind import BindServer
from tests.fixtures.cli import CLI, use_database


@pytest.fixture
def cli(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CLI:
    use_database(monkeypatch, db_url)
    monkeypatch.setenv("CERTDESK_PROPAGATION_INTERVAL", "0.05")
    monkeypatch.setenv("CERTDESK_PROPAGATION_TIMEOUT", "5")
    return CLI(tmp_path / "data", capsys)


def _add_bind(cli: CLI, bind: BindServer, tmp_path: Path, name: str = "bind") -> str:
    secret_file = tmp_path / f"{name}.secret"
    secret_file.write_text(bind.tsig_secret + "\n")
    return cli.ok(
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
        "--attr-file",
        f"key_secret={secret_file}",
    )


def test_add_list_show_update_delete(cli: CLI, bind_server: BindServer, tmp_path: Path) -> None:
    out = _add_bind(cli, bind_server, tmp_path)
    assert "Added DNS authenticator 'bind'" in out
    assert "Secrets set" in out and bind_server.tsig_secret not in out

    listed = cli.ok("authenticator", "list")
    assert "bind" in listed and "rfc2136" in listed and "key_secret" in listed
    shown = json.loads(cli.ok("--json", "authenticator", "show", "bind"))
    assert shown["attributes"]["port"] == bind_server.port
    assert shown["secrets_set"] == ["key_secret"]
    assert [a["name"] for a in json.loads(cli.ok("authenticator", "list", "--json"))] == ["bind"]

    updated = json.loads(
        cli.ok(
            "authenticator",
            "update",
            "bind",
            "--rename",
            "primary",
            "--attr",
            "zone=certdesk.test",
            "--json",
        )
    )
    assert updated["name"] == "primary"
    assert updated["attributes"]["zone"] == "certdesk.test."
    assert updated["secrets_set"] == ["key_secret"]
    unset = json.loads(cli.ok("authenticator", "update", "primary", "--unset", "zone", "--json"))
    assert unset["attributes"]["zone"] is None

    # The kept secret still works.
    tested = cli.ok("authenticator", "test", "primary", "--domain", "cli.certdesk.test")
    assert bind_server.address in tested and "yes" in tested and "OK" in tested
    assert bind_server.query_txt("_acme-challenge.cli.certdesk.test.") == []

    assert "Deleted" in cli.ok("authenticator", "delete", "primary")
    code, _, err = cli("authenticator", "show", "primary")
    assert code == 3
    assert err.strip() == "certdesk: No DNS authenticator 'primary' exists."


def test_bad_input_and_a_failing_test(cli: CLI, bind_server: BindServer, tmp_path: Path) -> None:
    code, _, err = cli(
        "authenticator", "add", "--name", "x", "--type", "rfc2136", "--attr", "port=x"
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert "certdesk: attributes.port: Must be a whole number." in lines
    assert "certdesk: attributes.server: Attribute is required." in lines

    code, _, err = cli("authenticator", "add", "--name", "x", "--type", "shell", "--attr", "oops")
    assert code == 2 and "'oops' is not key=value" in err
    code, _, err = cli(
        "authenticator", "add", "--name", "x", "--type", "shell", "--attr-file", "script=/none"
    )
    assert code == 2 and "cannot read /none" in err

    _add_bind(cli, bind_server, tmp_path)
    code, _, err = cli("authenticator", "update", "bind", "--unset", "key_secret")
    assert code == 2 and "attributes.key_secret: Attribute is required." in err
    code, _, err = cli("authenticator", "add", "--name", "bind", "--type", "cloudflare")
    assert code == 2

    wrong = tmp_path / "wrong.secret"
    wrong.write_text("d3Jvbmctc2VjcmV0LXZhbHVl")
    cli.ok("authenticator", "update", "bind", "--attr-file", f"key_secret={wrong}")
    code, _, err = cli("authenticator", "test", "bind", "--domain", "cli-fail.certdesk.test")
    assert code == 4
    assert "Test of 'bind' failed" in err and "TSIG" in err


def test_types_list_every_type_and_one_types_attributes(cli: CLI) -> None:
    out = cli.ok("authenticator", "types")
    assert "rfc2136" in out and "cloudflare" in out and "powerdns" in out
    attributes = cli.ok("authenticator", "types", "cloudflare")
    assert "api_token" in attributes and "secret" in attributes
    schema = json.loads(cli.ok("authenticator", "types", "shell", "--json"))
    assert schema["type"] == "shell" and "script" in schema["schema"]["properties"]
    code, _, err = cli("authenticator", "types", "nope")
    assert code == 2 and "Unknown authenticator type" in err
