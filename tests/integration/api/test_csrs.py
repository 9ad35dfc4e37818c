"""The CSR routes end to end over HTTP, checked with the real openssl command."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.live_server import LiveServer
from tests.integration.api.helpers import assert_problem, ec_create_body


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[httpx.Client]:
    with live_server.client() as client:
        yield client


def _openssl(*args: str, stdin: bytes | None = None) -> str:
    result = subprocess.run(
        ["openssl", *args], input=stdin, capture_output=True, check=True, timeout=30
    )
    return result.stdout.decode()


def test_create_show_download_rename_delete(api: httpx.Client, tmp_path: Path) -> None:
    created = api.post("/csrs", json=ec_create_body("web1"))
    assert created.status_code == 201, created.text
    csr = created.json()
    assert csr["name"] == "web1" and csr["key_type"] == "EC"
    assert csr["common"] == "web1.example.com"
    assert "privatekey" not in csr and "private_key" not in csr

    shown = api.get(f"/csrs/{csr['id']}").json()
    assert shown["fingerprint_sha256"] == csr["fingerprint_sha256"]

    pem = api.get(f"/csrs/{csr['id']}/csr")
    assert pem.status_code == 200
    assert pem.headers["content-type"] == "application/pkcs10"
    assert pem.headers["content-disposition"] == 'attachment; filename="web1.csr"'
    text = _openssl("req", "-noout", "-verify", "-text", stdin=pem.content)
    assert "web1.example.com" in text and "www.web1.example.com" in text

    key = api.get(f"/csrs/{csr['id']}/private-key")
    assert key.status_code == 200
    assert key.headers["content-disposition"] == 'attachment; filename="web1.key"'
    assert key.headers["cache-control"] == "no-store"
    (tmp_path / "k.pem").write_bytes(key.content)
    (tmp_path / "r.pem").write_bytes(pem.content)
    key_pub = _openssl("pkey", "-in", str(tmp_path / "k.pem"), "-pubout")
    csr_pub = _openssl("req", "-in", str(tmp_path / "r.pem"), "-noout", "-pubkey")
    assert key_pub == csr_pub

    domains = api.get(f"/csrs/{csr['id']}/domains")
    assert domains.status_code == 200
    assert set(domains.json()) >= {"web1.example.com"}

    renamed = api.patch(f"/csrs/{csr['id']}", json={"name": "web-one"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "web-one"
    again = api.get(f"/csrs/{csr['id']}/csr")
    assert again.headers["content-disposition"] == 'attachment; filename="web-one.csr"'
    assert_problem(api.patch(f"/csrs/{csr['id']}", json={"name": "bad name!"}), 422)

    assert api.delete(f"/csrs/{csr['id']}").status_code == 204
    assert_problem(api.get(f"/csrs/{csr['id']}"), 404)

    audit = api.get("/audit", params={"limit": 100}).json()["items"]
    actions = [(e["action"], e["object_id"], e["actor"]) for e in audit]
    assert ("csr.private_key.download", csr["id"], "admin") in actions
    assert ("csr.delete", csr["id"], "admin") in actions


def test_import_a_csr_made_by_openssl(api: httpx.Client, tmp_path: Path) -> None:
    key_path, csr_path = tmp_path / "key.pem", tmp_path / "req.pem"
    _openssl(
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(key_path),
        "-out",
        str(csr_path),
        "-subj",
        "/CN=imported.example.com",
        "-addext",
        "subjectAltName=DNS:imported.example.com",
    )
    body = {
        "name": "imported",
        "create_type": "CERTIFICATE_CREATE_IMPORTED_CSR",
        "CSR": csr_path.read_text(),
        "privatekey": key_path.read_text(),
    }
    response = api.post("/csrs", json=body)
    assert response.status_code == 201, response.text
    details = response.json()
    assert details["key_type"] == "RSA" and details["key_length"] == 2048
    assert details["common"] == "imported.example.com"
    got = api.get(f"/csrs/{details['id']}/csr").content
    assert _openssl("req", "-noout", "-pubkey", stdin=got) == _openssl(
        "req", "-in", str(csr_path), "-noout", "-pubkey"
    )


def test_list_paginates_and_searches(api: httpx.Client) -> None:
    for i in range(7):
        assert api.post("/csrs", json=ec_create_body(f"host{i}")).status_code == 201
    assert api.post("/csrs", json=ec_create_body("mail")).status_code == 201

    page = api.get("/csrs", params={"limit": 3, "offset": 0}).json()
    assert page["total"] == 8 and len(page["items"]) == 3
    rest = api.get("/csrs", params={"limit": 50, "offset": 3}).json()
    assert len(rest["items"]) == 5
    names = {i["name"] for i in page["items"]} | {i["name"] for i in rest["items"]}
    assert len(names) == 8

    found = api.get("/csrs", params={"search": "mail"}).json()
    assert found["total"] == 1 and found["items"][0]["name"] == "mail"
    assert api.get("/csrs", params={"search": "nothing-like-this"}).json() == {
        "items": [],
        "total": 0,
    }


def test_choices_say_why(api: httpx.Client) -> None:
    choices = api.get("/choices")
    assert choices.status_code == 200
    data = choices.json()
    verdicts = {c["verdict"] for c in data["key_lengths"] + data["digest_algorithms"]}
    assert "recommended" in verdicts
    assert all(c["reason"] for c in data["key_lengths"] if c["verdict"] != "recommended")
