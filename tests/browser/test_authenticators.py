"""The "ACME DNS-Authenticators" card: Add an rfc2136 authenticator for the real BIND9 through the
form built from its schema (the type select shows the chosen type's fields), Test it and see
what each nameserver saw, Edit it with the secret left empty (kept), and Delete it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.bind import BindServer


@pytest.fixture(autouse=True)
def no_authenticators(api: httpx.Client) -> Iterator[None]:
    """Every test starts and ends without authenticators."""

    def clear() -> None:
        for item in api.get("/acme/authenticators").json():
            response = api.delete(f"/acme/authenticators/{item['id']}", params={"force": "true"})
            assert response.status_code == 204, response.text

    clear()
    yield
    clear()


def test_add_test_edit_delete_an_rfc2136_authenticator(
    logged_in: Page, api: httpx.Client, bind_server: BindServer
) -> None:
    page = logged_in
    card = page.get_by_role("region", name="ACME DNS-Authenticators")
    expect(card).to_contain_text("No ACME DNS-Authenticators.")
    card.get_by_role("link", name="Add").click()
    expect(page.get_by_role("heading", name="Add ACME DNS-Authenticator")).to_be_visible()

    # Choosing a type shows its fields at once; the secret is a password input.
    page.get_by_label("Name", exact=True).fill("bind-test")
    page.get_by_label("Authenticator", exact=True).select_option("cloudflare")
    expect(page.get_by_label("Api Token")).to_have_attribute("type", "password")
    expect(page.get_by_label("Server", exact=True)).to_have_count(0)
    expect(page.get_by_label("Name", exact=True)).to_have_value("bind-test")
    page.get_by_label("Authenticator", exact=True).select_option("rfc2136")
    expect(page.get_by_label("Key Secret")).to_have_attribute("type", "password")
    expect(page.get_by_text("Name of the TSIG key allowed to update the zone.")).to_be_visible()
    expect(page.get_by_label("Port", exact=True)).to_have_value("53")

    # A mistake comes back beside its field, without the secret.
    page.get_by_label("Server", exact=True).fill(bind_server.host)
    page.get_by_label("Port", exact=True).fill(str(bind_server.port))
    page.get_by_label("Key Name").fill(bind_server.tsig_name)
    page.get_by_label("Key Secret").fill("not base64!")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Must be base64", exact=False)).to_be_visible()
    expect(page.get_by_label("Key Secret")).to_have_value("")
    expect(page.get_by_label("Server", exact=True)).to_have_value(bind_server.host)

    page.get_by_label("Key Secret").fill(bind_server.tsig_secret)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/certificates\?notice=authenticator_added"))
    expect(page.get_by_role("status")).to_contain_text("ACME DNS-Authenticator added: bind-test.")
    row = card.get_by_role("row", name=re.compile("bind-test"))
    expect(row).to_contain_text("RFC 2136")

    # Test: the record appears on the server's nameserver and is removed again.
    page.get_by_role("button", name="Actions for bind-test").click()
    row.get_by_role("link", name="Test", exact=True).click()
    page.get_by_label("Domain").fill("browser.certdesk.test")
    page.get_by_role("button", name="Test", exact=True).click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("visible on every nameserver", timeout=30_000)
    ns_row = result.get_by_role("row", name=re.compile(re.escape(bind_server.address)))
    expect(ns_row).to_contain_text("Yes")
    assert bind_server.query_txt("_acme-challenge.browser.certdesk.test.") == []

    # Edit: the secret stays empty and is kept when left so.
    page.goto("/certificates")
    page.get_by_role("button", name="Actions for bind-test").click()
    card.get_by_role("row", name=re.compile("bind-test")).get_by_role(
        "link", name="Edit", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Edit ACME DNS-Authenticator")).to_be_visible()
    expect(page.get_by_label("Key Secret")).to_have_value("")
    expect(page.get_by_text("Leave empty to keep the current value.")).to_be_visible()
    expect(page.get_by_label("Authenticator", exact=True)).to_have_value(re.compile("rfc2136"))
    page.get_by_label("Name", exact=True).fill("bind-primary")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("saved: bind-primary.")
    [stored] = api.get("/acme/authenticators").json()
    assert stored["name"] == "bind-primary" and stored["secrets_set"] == ["key_secret"]
    tested = api.post(
        f"/acme/authenticators/{stored['id']}/test", json={"domain": "kept.certdesk.test"}
    )
    assert tested.json()["ok"] is True, tested.text

    # Delete.
    page.get_by_role("button", name="Actions for bind-primary").click()
    card.get_by_role("row", name=re.compile("bind-primary")).get_by_role(
        "link", name="Delete", exact=True
    ).click()
    expect(page.get_by_text('Are you sure you want to delete "bind-primary"?')).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted bind-primary.")
    expect(card).to_contain_text("No ACME DNS-Authenticators.")
    assert api.get("/acme/authenticators").json() == []
