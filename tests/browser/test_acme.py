"""Create ACME Certificate from a CSR in the browser, against the test Pebble and BIND9: the
form with one authenticator select per domain, every error beside its field before any network
call, and the job page that follows the issuance to its end."""

from __future__ import annotations

import base64
import re
import secrets
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from certdesk.services import authenticators
from certdesk.services.authenticator_schemas import AuthenticatorCreate
from certdesk.services.context import Actor
from tests.browser.conftest import create_csr
from tests.fixtures.bind import BindServer
from tests.fixtures.live_server import LiveServer
from tests.fixtures.pebble import PebbleServer

pytestmark = [pytest.mark.pebble, pytest.mark.bind]


def add_bind_authenticator(server: LiveServer, bind: BindServer, secret: str | None = None) -> int:
    name = f"bind-{secrets.token_hex(3)}"
    created = authenticators.create(
        server.ctx,
        AuthenticatorCreate(
            name=name,
            type="rfc2136",
            attributes={
                "server": bind.host,
                "port": bind.port,
                "key_name": bind.tsig_name,
                "key_secret": secret or bind.tsig_secret,
                "key_algorithm": bind.tsig_algorithm,
            },
        ),
        Actor("tests"),
    )
    return created.id


def ca_bundle(pebble: PebbleServer) -> str:
    text = str(pebble.ca_bundle)
    return text if text.lstrip().startswith("-----BEGIN") else Path(text).read_text()


def test_create_acme_certificate_from_a_csr(
    logged_in: Page,
    api: httpx.Client,
    server: LiveServer,
    pebble: PebbleServer,
    bind_server: BindServer,
) -> None:
    domain = f"t{secrets.token_hex(5)}.certdesk.test"
    csr = create_csr(api, "for-pebble", common=domain, san=[f"DNS:{domain}", f"DNS:www.{domain}"])
    auth = add_bind_authenticator(server, bind_server)
    page = logged_in
    page.reload()
    page.get_by_role("button", name="Actions for for-pebble").click()
    page.get_by_role("link", name="Create ACME Certificate").click()
    expect(page.get_by_role("heading", name="Create ACME Certificate")).to_be_visible()

    # Nothing filled in: every error at once, beside its field, before any network call.
    page.get_by_label("Identifier").fill("pebble-cert")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("correct the fields marked below")
    expect(page.locator("#f-tos-error")).to_be_visible()
    expect(page.locator(f"#f-dns-mapping-{domain.replace('.', '-')}-error")).to_contain_text(domain)
    expect(page.get_by_label("Identifier")).to_have_value("pebble-cert")

    page.get_by_label("Terms of Service").check()
    page.get_by_label("Renew Certificate Days").fill("20")
    expect(page.get_by_label("ACME Server Directory URI", exact=True)).to_have_value(
        re.compile("letsencrypt")
    )
    page.get_by_label("Custom ACME Server Directory URI").check()
    directory = page.get_by_label("ACME Server Directory URI", exact=True)
    expect(directory).to_have_value(re.compile("letsencrypt"))  # the preset, to edit
    directory.fill(pebble.directory_url)
    for name in (domain, f"www.{domain}"):
        page.get_by_label(f"DNS:{name}", exact=True).select_option(str(auth))
    page.get_by_text("Account and server options").click()
    page.get_by_label("CA Bundle").fill(ca_bundle(pebble))
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.get_by_text("Certificate issued: pebble-cert.")).to_be_visible(timeout=90_000)
    expect(page.locator("progress")).to_have_attribute("value", "100")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download Certificate").click()
    chain = Path(info.value.path()).read_text()
    assert chain.count("BEGIN CERTIFICATE") >= 2
    certs = api.get("/certificates").json()["items"]
    assert [c["name"] for c in certs] == ["pebble-cert"]
    assert api.get(f"/certificates/{certs[0]['id']}").json()["renew_days"] == 20
    assert csr["id"]


def test_a_failed_issuance_says_why_and_offers_to_try_again(
    page: Page,
    api: httpx.Client,
    server: LiveServer,
    pebble: PebbleServer,
    bind_server: BindServer,
) -> None:
    domain = f"t{secrets.token_hex(5)}.certdesk.test"
    csr = create_csr(api, "wrong-key", common=domain, san=[f"DNS:{domain}"])
    wrong = base64.b64encode(b"not the TSIG secret of the zone!").decode()
    auth = add_bind_authenticator(server, bind_server, secret=wrong)
    page.goto(f"/csrs/{csr['id']}/acme")
    page.get_by_label("Identifier").fill("will-fail")
    page.get_by_label("Terms of Service").check()
    page.get_by_label("Custom ACME Server Directory URI").check()
    page.get_by_label("ACME Server Directory URI", exact=True).fill(pebble.directory_url)
    page.get_by_label(f"DNS:{domain}", exact=True).select_option(str(auth))
    page.get_by_text("Account and server options").click()
    page.get_by_label("CA Bundle").fill(ca_bundle(pebble))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Failed")).to_be_visible(timeout=90_000)
    expect(page.get_by_role("alert")).to_contain_text("refused the TSIG key")
    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("heading", name="Create ACME Certificate")).to_be_visible()
    assert api.get("/certificates").json()["total"] == 0
