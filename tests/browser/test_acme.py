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
from playwright.sync_api import Browser, Page, StorageState, expect

from certdesk.services import authenticators
from certdesk.services.authenticator_schemas import AuthenticatorCreate
from certdesk.services.context import Actor
from certdesk.web.acme import terms_href
from tests.browser.conftest import create_csr, new_context
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


def test_terms_of_service_of_the_chosen_directory(
    logged_in: Page, api: httpx.Client, browser: Browser, server: LiveServer,
    session_state: StorageState, pebble: PebbleServer,
) -> None:  # fmt: skip
    """The screen shows the terms of service Pebble's directory names: looked up by the script
    when the URI or CA bundle changes, and rendered by the server (also without JavaScript)."""
    with httpx.Client(verify=pebble.ssl_context()) as client:
        terms = client.get(pebble.directory_url).json()["meta"]["termsOfService"]
    csr = create_csr(api, "tos", common="tos.example.com", san=["DNS:tos.example.com"])
    page = logged_in
    page.goto(f"/csrs/{csr['id']}/acme")
    hint = page.locator("#f-tos-hint")
    expect(page.get_by_label("Terms of Service")).to_have_accessible_description(
        re.compile("I accept the terms of service")
    )
    page.get_by_label("Custom ACME Server Directory URI").check()
    page.get_by_text("Account and server options").click()
    page.get_by_label("CA Bundle").fill(ca_bundle(pebble))
    page.get_by_label("ACME Server Directory URI", exact=True).fill(pebble.directory_url)
    expect(hint.locator("[data-tos-link]")).to_have_text(terms)
    # Without the bundle Pebble's HTTPS is not trusted: the page says the terms were not found.
    page.get_by_label("CA Bundle").fill("")
    expect(hint).to_contain_text("could not be found")
    expect(hint.locator("[data-tos-link]")).to_have_count(0)

    # The endpoint the script calls: a javascript: URL would never become a link.
    answer = page.request.get(
        "/acme/terms", params={"directory": pebble.directory_url, "ca_bundle": ca_bundle(pebble)}
    )
    assert answer.json() == {"url": terms, "href": terms}

    # Without JavaScript the server renders the terms of the submitted directory.
    ctx = new_context(browser, server, storage_state=session_state, java_script_enabled=False)
    try:
        nojs = ctx.new_page()
        nojs.goto(f"/csrs/{csr['id']}/acme")
        nojs.get_by_label("Identifier").fill("tos-cert")
        nojs.get_by_label("Custom ACME Server Directory URI").check()
        nojs.get_by_label("Custom URI").fill(pebble.directory_url)
        nojs.get_by_text("Account and server options").click()
        nojs.get_by_label("CA Bundle").fill(ca_bundle(pebble))
        nojs.get_by_role("button", name="Save").click()  # no Terms of Service: an error
        expect(nojs.locator("#f-tos-error")).to_be_visible()
        expect(nojs.locator("#f-tos-hint [data-tos-link]")).to_have_text(terms)
    finally:
        ctx.close()


def test_terms_links_only_to_safe_urls() -> None:
    assert terms_href("https://letsencrypt.org/documents/LE-SA.pdf") is not None
    assert terms_href("data:text/plain,Do%20what%20thou%20wilt") is not None
    assert terms_href("javascript:alert(1)") is None
    assert terms_href("data:text/html,<script>") is None
    assert terms_href(None) is None
