"""The Edit CSR screen: the details panel, renaming, and the View/Download windows (the key
view is audited, its Copy to Clipboard button copies the PEM)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import create_csr

DETAIL_LABELS = (
    "Common",
    "SAN",
    "Distinguished Name",
    "Country",
    "State",
    "City",
    "Organization",
    "Organizational Unit",
    "Email",
    "Type",
    "Path",
    "Digest Algorithm",
    "Key Length",
    "Key Type",
)


def detail(page: Page, label: str) -> str:
    return (
        page.locator(".details > div")
        .filter(has=page.locator("dt", has_text=re.compile(f"^{re.escape(label)}$")))
        .locator("dd")
        .inner_text()
    )


def test_edit_shows_the_details(logged_in: Page, api: httpx.Client) -> None:
    csr = create_csr(
        api,
        "detailed",
        key_type="RSA",
        key_length=2048,
        country="NL",
        state="Noord-Holland",
        city="Amsterdam",
        organization="Example BV",
        email="ops@example.nl",
    )
    page = logged_in
    page.reload()
    page.get_by_label("Actions for detailed").click()
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit CSR")).to_be_visible()
    for label in DETAIL_LABELS:
        expect(page.locator(".details dt", has_text=re.compile(f"^{label}$"))).to_have_count(1)
    assert detail(page, "Common") == "detailed.example.com"
    assert detail(page, "SAN") == "DNS:detailed.example.com"
    assert detail(page, "Country") == "NL"
    assert detail(page, "City") == "Amsterdam"
    assert detail(page, "Organizational Unit") == "--"
    assert detail(page, "Type") == "Certificate"
    assert detail(page, "Key Length") == "2048"
    assert detail(page, "Key Type") == "RSA"
    assert detail(page, "Digest Algorithm") == "SHA256"
    assert detail(page, "Distinguished Name") == csr["DN"]
    assert detail(page, "Path") == csr["root_path"]
    for name in ("View/Download CSR", "View/Download Key", "Create ACME Certificate"):
        expect(page.get_by_role("link", name=name)).to_be_visible()


def test_rename(logged_in: Page, api: httpx.Client) -> None:
    csr = create_csr(api, "old-name")
    create_csr(api, "taken")
    page = logged_in
    page.goto(f"/csrs/{csr['id']}")
    name = page.get_by_label("Name", exact=True)
    name.fill("taken")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#f-name-error")).to_contain_text("already exists")
    expect(name).to_have_value("taken")
    expect(name).to_have_attribute("aria-invalid", "true")
    name.fill("new-name")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Renamed to new-name.")
    expect(name).to_have_value("new-name")
    assert api.get(f"/csrs/{csr['id']}").json()["name"] == "new-name"


def test_view_key_copies_and_is_audited(
    context: BrowserContext, page: Page, api: httpx.Client
) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    csr = create_csr(api, "secret-key")
    page.goto(f"/csrs/{csr['id']}")
    page.get_by_role("link", name="View/Download Key").click()
    dialog = page.get_by_role("dialog", name="Private Key")
    expect(dialog).to_be_visible()
    key_pem = api.get(f"/csrs/{csr['id']}/private-key").content.decode()
    text = dialog.get_by_label("secret-key.key")
    expect(text).to_have_value(key_pem)
    expect(text).to_have_attribute("readonly", "")
    dialog.get_by_role("button", name="Copy to Clipboard").click()
    expect(dialog.get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == key_pem
    with page.expect_download() as info:
        dialog.get_by_role("link", name="Download").click()
    assert info.value.suggested_filename == "secret-key.key"
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    events = api.get("/audit", params={"limit": 50}).json()["items"]
    key_views = [
        e
        for e in events
        if e["action"] == "csr.private_key.download"
        and e["object_name"] == "secret-key"
        and e["actor"] == "admin"
    ]
    assert len(key_views) >= 2  # the view and the download, both by the web user


def test_view_csr_dialog(page: Page, api: httpx.Client) -> None:
    csr = create_csr(api, "public-csr")
    page.goto(f"/csrs/{csr['id']}")
    page.get_by_role("link", name="View/Download CSR").click()
    dialog = page.get_by_role("dialog", name="Certificate Signing Request")
    expect(dialog.get_by_label("public-csr.csr")).to_have_value(
        api.get(f"/csrs/{csr['id']}/csr").text
    )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
