"""The issuance API over HTTP on a live server (SQLite and PostgreSQL): create → poll the job →
SUCCESS → details and downloads → delete, which revokes at Pebble; every validation error of a
bad request at once, before any network call."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from cryptography import x509

from tests.fixtures.bind import BindServer
from tests.fixtures.live_server import LiveServer
from tests.fixtures.pebble import PebbleServer
from tests.integration.issuance.helpers import (
    add_rfc2136,
    ca_bundle_text,
    make_csr,
    unique_domain,
    unique_name,
)

pytestmark = [pytest.mark.pebble, pytest.mark.bind]


def wait_for_job(client: httpx.Client, job_id: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/jobs/{job_id}").json()
        if job["state"] in ("SUCCESS", "FAILED", "ABORTED"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)  # polling a condition with a deadline


def test_create_poll_download_delete(
    live_server: LiveServer,
    pebble: PebbleServer,
    bind_server: BindServer,
) -> None:
    ctx = live_server.ctx
    a, b = unique_domain(), unique_domain()
    csr_id = make_csr(ctx, a, b)
    auth = add_rfc2136(ctx, bind_server)
    name = unique_name()
    with live_server.client() as client:
        response = client.post(
            "/certificates/acme",
            json={
                "name": name,
                "csr_id": csr_id,
                "tos": True,
                "acme_directory_uri": pebble.directory_url,
                "ca_bundle": ca_bundle_text(pebble),
                "dns_mapping": {a: auth, f"DNS:{b}": auth},
                "eab_hmac_key": None,
            },
        )
        assert response.status_code == 202, response.text
        job = wait_for_job(client, response.json()["job_id"])
        assert job["state"] == "SUCCESS", job["error"]
        assert job["progress"]["percent"] == 100
        cert_id = job["result"]["certificate_id"]

        listed = client.get("/jobs").json()
        assert listed["items"][0]["id"] == job["id"]

        details = client.get(f"/certificates/{cert_id}").json()
        assert details["name"] == name
        assert sorted(details["domains"]) == sorted([a, b])
        assert set(details["dns_mapping"].values()) == {
            client.get(f"/acme/authenticators/{auth}").json()["name"]
        }
        assert details["days_left"] > 0 and details["renew_days"] == 10
        cards = client.get("/certificates").json()
        assert [c["name"] for c in cards["items"]] == [name]

        chain = client.get(f"/certificates/{cert_id}/certificate")
        assert chain.status_code == 200
        assert f'filename="{name}.crt"' in chain.headers["content-disposition"]
        certs = x509.load_pem_x509_certificates(chain.content)
        assert len(certs) >= 2
        key = client.get(f"/certificates/{cert_id}/private-key")
        assert key.status_code == 200 and b"PRIVATE KEY" in key.content
        audit = client.get("/audit").json()["items"]
        assert any(e["action"] == "certificate.private_key.download" for e in audit)

        renamed = client.patch(f"/certificates/{cert_id}", json={"renew_days": 20}).json()
        assert renamed["renew_days"] == 20

        renewal = client.post(f"/certificates/{cert_id}/renew")
        assert renewal.status_code == 202, renewal.text
        renewed_job = wait_for_job(client, renewal.json()["job_id"])
        assert renewed_job["state"] == "SUCCESS", renewed_job["error"]
        assert renewed_job["kind"] == "acme.renew"
        renewed = client.get(f"/certificates/{cert_id}").json()
        assert renewed["serial"] != details["serial"]
        old_serial = certs[0].serial_number
        certs = x509.load_pem_x509_certificates(
            client.get(f"/certificates/{cert_id}/certificate").content
        )
        assert certs[0].serial_number != old_serial

        deleted = client.delete(f"/certificates/{cert_id}")
        assert deleted.status_code == 200, deleted.text
        assert deleted.json()["revoked"] is True
        assert pebble.is_revoked(certs[0].serial_number)
        assert client.get(f"/certificates/{cert_id}").status_code == 404


def test_every_error_at_once_before_any_network_call(
    live_server: LiveServer,
    bind_server: BindServer,
) -> None:
    ctx = live_server.ctx
    a = unique_domain()
    csr_name = unique_name("csr")
    csr_id = make_csr(ctx, a, f"www.{a}", name=csr_name)
    auth = add_rfc2136(ctx, bind_server)
    with live_server.client() as client:
        response = client.post(
            "/certificates/acme",
            json={
                "name": csr_name,
                "csr_id": csr_id,
                "tos": False,
                "renew_days": 31,
                # Nothing listens here: a network call would fail differently.
                "acme_directory_uri": "http://user:secret@127.0.0.1:9/directory",
                "dns_mapping": {a: 999999, "other.example.com": auth, f"{a}.": auth},
            },
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        fields = {e["field"]: e["message"] for e in problem["errors"]}
        assert "secret" not in response.text
        assert {"name", "tos", "renew_days", "acme_directory_uri"} <= set(fields)
        assert "CSR named" in fields["name"]
        assert f"dns_mapping.{a}" in fields  # the authenticator does not exist
        assert (
            "other.example.com is not specified in the CSR"
            in fields["dns_mapping.other.example.com"]
        )
        assert "cannot end with a period" in fields[f"dns_mapping.{a}."]
        assert f"dns_mapping.www.{a}" in fields  # a domain without authenticator
        assert client.get("/jobs").json()["total"] == 0
