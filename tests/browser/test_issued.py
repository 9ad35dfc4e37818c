"""The "Certificates" card and what it leads to, in the browser: a certificate issued by the test
Pebble through BIND9 (via the API) is listed with its domains, issuer and days left; its details
page downloads the same chain as the API; the Delete Certificate dialog revokes it at Pebble."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from playwright.sync_api import Page, expect

from tests.browser.conftest import create_csr
from tests.browser.test_acme import add_bind_authenticator, ca_bundle
from tests.fixtures.bind import BindServer
from tests.fixtures.live_server import LiveServer
from tests.fixtures.pebble import PebbleServer

pytestmark = [pytest.mark.pebble, pytest.mark.bind]


def issue(
    api: httpx.Client, server: LiveServer, pebble: PebbleServer, bind: BindServer, name: str
) -> tuple[int, str]:
    domain = f"t{secrets.token_hex(5)}.certdesk.test"
    csr = create_csr(api, f"{name}-csr", common=domain, san=[f"DNS:{domain}"])
    auth = add_bind_authenticator(server, bind)
    response = api.post(
        "/certificates/acme",
        json={
            "name": name,
            "csr_id": csr["id"],
            "tos": True,
            "acme_directory_uri": pebble.directory_url,
            "ca_bundle": ca_bundle(pebble),
            "dns_mapping": {domain: auth},
        },
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    deadline = time.monotonic() + 60
    while (job := api.get(f"/jobs/{job_id}").json())["state"] not in ("SUCCESS", "FAILED"):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)  # polling a condition with a deadline
    assert job["state"] == "SUCCESS", job["error"]
    return int(job["result"]["certificate_id"]), domain


def test_certificates_card_details_download_and_delete(
    logged_in: Page,
    api: httpx.Client,
    server: LiveServer,
    pebble: PebbleServer,
    bind_server: BindServer,
) -> None:
    cert_id, domain = issue(api, server, pebble, bind_server, "issued-web")
    page = logged_in
    page.reload()
    card = page.get_by_role("region", name="Certificates", exact=True)
    row = card.get_by_role("row").filter(has_text="issued-web")
    expect(row).to_contain_text(domain)
    expect(row).to_contain_text(re.compile(r"\d+ days left"))

    row.get_by_role("link", name="issued-web").click()
    expect(page.get_by_role("heading", name="issued-web")).to_be_visible()
    expect(page.get_by_text(domain).first).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download Certificate").click()
    downloaded = Path(info.value.path()).read_bytes()
    assert downloaded == api.get(f"/certificates/{cert_id}/certificate").content
    serial = x509.load_pem_x509_certificates(downloaded)[0].serial_number

    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete Certificate")).to_be_visible()
    expect(page.get_by_label("Force")).not_to_be_checked()
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/certificates\?"))
    expect(page.get_by_role("status")).to_contain_text("Deleted issued-web.")
    assert pebble.is_revoked(serial)
    assert api.get(f"/certificates/{cert_id}").status_code == 404
