"""The ``certdesk csr`` commands end to end, on SQLite and PostgreSQL: real files, real keys,
``openssl`` as the independent reader, exit codes and one-sentence errors."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.cli import CLI, use_database

OPENSSL = "openssl"


@pytest.fixture
def cli(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CLI:
    use_database(monkeypatch, db_url)
    return CLI(tmp_path / "data", capsys)


def openssl(*args: str, input: bytes | None = None) -> bytes:
    return subprocess.run([OPENSSL, *args], input=input, capture_output=True, check=True).stdout


def test_create_with_profile_writes_verified_files(cli: CLI) -> None:
    out = cli.ok(
        "csr",
        "create",
        "--name",
        "web",
        "--profile",
        "HTTPS ECC Certificate",
        "--common",
        "nas.example.com",
        "--san",
        "nas.example.com",
        "--san",
        "2001:db8::1",
        "--country",
        "DE",
        "--json",
    )
    details = json.loads(out)
    assert details["key_type"] == "EC" and details["ec_curve"] == "SECP384R1"
    assert details["san"] == ["DNS:nas.example.com", "IP Address:2001:db8::1"]
    certs = cli.data_dir / "certificates"
    csr_file, key_file = certs / "web.csr", certs / "web.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o400
    text = openssl("req", "-in", str(csr_file), "-noout", "-verify", "-text").decode()
    assert "Subject: CN = nas.example.com, C = DE" in text
    assert "IP Address:2001:DB8:0:0:0:0:0:1" in text
    assert "X509v3 Key Usage: critical" in text
    # The key on disk and the key handed out both belong to the CSR.
    csr_pub = openssl("req", "-in", str(csr_file), "-noout", "-pubkey")
    assert openssl("pkey", "-in", str(key_file), "-pubout") == csr_pub
    key_out = cli.ok("csr", "download", "web", "--key")
    assert key_out.startswith("-----BEGIN PRIVATE KEY-----")
    assert openssl("pkey", "-pubout", input=key_out.encode()) == csr_pub
    assert cli.ok("csr", "download", "web").encode() == csr_file.read_bytes()


def test_bad_input_reports_every_field_and_stores_nothing(cli: CLI) -> None:
    code, _out, err = cli(
        "csr",
        "create",
        "--name",
        "bad name",
        "--key-type",
        "RSA",
        "--key-length",
        "999",
        "--digest",
        "SHA1",
        "--san",
        "a..b",
        "--san",
        "ok.example",
        "--country",
        "XX",
    )
    assert code == 2
    lines = err.strip().splitlines()
    fields = {line.split(":")[1].strip() for line in lines}
    assert {"name", "key_length", "digest_algorithm", "san.0", "country"} <= fields
    assert all(line.startswith("certdesk: ") for line in lines)
    assert "Traceback" not in err
    assert json.loads(cli.ok("csr", "list", "--json"))["total"] == 0
    assert list((cli.data_dir / "certificates").glob("*")) == []


def test_not_found_and_duplicate_exit_codes(cli: CLI) -> None:
    code, _, err = cli("csr", "show", "missing")
    assert code == 3 and "missing" in err
    cli.ok("csr", "create", "--name", "a", "--common", "a.example")
    code, _, err = cli("csr", "create", "--name", "a", "--common", "b.example")
    assert code == 2 and "already exists" in err


def test_import_encrypted_key_rename_and_delete(cli: CLI, tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    csr = tmp_path / "r.der"
    openssl(
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-aes-256-cbc",
        "-pass",
        "pass:s3cret",
        "-out",
        str(key),
    )
    openssl(
        "req",
        "-new",
        "-key",
        str(key),
        "-passin",
        "pass:s3cret",
        "-subj",
        "/CN=imp.example",
        "-addext",
        "subjectAltName=DNS:imp.example",
        "-outform",
        "DER",
        "-out",
        str(csr),
    )
    (tmp_path / "pass").write_text("s3cret\n")
    code, _, err = cli(
        "csr", "import", "--name", "imp", "--csr-file", str(csr), "--key-file", str(key)
    )
    assert code == 2 and "passphrase" in err
    out = cli.ok(
        "csr",
        "import",
        "--name",
        "imp",
        "--csr-file",
        str(csr),
        "--key-file",
        str(key),
        "--passphrase-file",
        str(tmp_path / "pass"),
        "--json",
    )
    assert json.loads(out)["create_type"] == "CERTIFICATE_CREATE_IMPORTED_CSR"
    stored_key = cli.ok("csr", "download", "imp", "--key")
    assert "ENCRYPTED" not in stored_key
    certs = cli.data_dir / "certificates"
    cli.ok("csr", "rename", "imp", "imp2")
    assert sorted(p.name for p in certs.iterdir()) == ["imp2.csr", "imp2.key"]
    cli.ok("csr", "delete", "imp2")
    assert list(certs.iterdir()) == []
    assert json.loads(cli.ok("csr", "list", "--json"))["items"] == []


def test_mismatched_key_is_refused(cli: CLI, tmp_path: Path) -> None:
    k1, k2, req = tmp_path / "1.pem", tmp_path / "2.pem", tmp_path / "r.pem"
    for k in (k1, k2):
        openssl(
            "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(k)
        )
    openssl("req", "-new", "-key", str(k1), "-subj", "/CN=x.example", "-out", str(req))
    code, _, err = cli(
        "csr", "import", "--name", "x", "--csr-file", str(req), "--key-file", str(k2)
    )
    assert code == 2
    assert "privatekey: Private key does not match the CSR" in err


def test_files_are_reconciled_with_the_database_on_start(cli: CLI) -> None:
    cli.ok("csr", "create", "--name", "keep", "--common", "keep.example")
    certs = cli.data_dir / "certificates"
    (certs / "keep.key").chmod(0o600)
    (certs / "keep.key").unlink()
    (certs / "ghost.csr").write_text("stale")
    (certs / "ghost.key").write_text("stale")
    cli.ok("csr", "list")
    assert sorted(p.name for p in certs.iterdir()) == ["keep.csr", "keep.key"]
    assert stat.S_IMODE((certs / "keep.key").stat().st_mode) == 0o400


def test_secrets_rotate_keeps_keys_readable(cli: CLI) -> None:
    cli.ok(
        "csr",
        "create",
        "--name",
        "r",
        "--key-type",
        "EC",
        "--ec-curve",
        "SECP256R1",
        "--common",
        "r.example",
    )
    before = cli.ok("csr", "download", "r", "--key")
    key_file = cli.data_dir / "secret.key"
    old_keys = key_file.read_text().split()
    cli.ok("secrets", "rotate")
    new_keys = key_file.read_text().split()
    assert len(new_keys) == len(old_keys) + 1 and new_keys[1:] == old_keys
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert cli.ok("csr", "download", "r", "--key") == before


def test_console_script_never_prints_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "CERTDESK_DATA_DIR": str(tmp_path / "d")}
    env.pop("CERTDESK_DATABASE_URL", None)
    script = Path(sys.executable).with_name("certdesk")
    result = subprocess.run(
        [str(script), "csr", "create", "--name", "x", "--key-length", "abc"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    result = subprocess.run(
        [str(script), "csr", "create", "--name", "x", "--extensions-json", "/nonexistent.json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 2 and "extensions_json" in result.stderr
