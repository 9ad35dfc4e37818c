"""The Certificates screen: the "Certificate Signing Requests" card, its empty state, its rows,
the row menu (Create ACME Certificate, Download, Edit, Delete), the download (the same bytes as
the API) and the Delete Certificate dialog."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import create_csr


def test_empty_card(logged_in: Page) -> None:
    page = logged_in
    card = page.get_by_role("region", name="Certificate Signing Requests")
    expect(card).to_contain_text("No Certificate Signing Requests.")
    expect(card.get_by_role("link", name="Add")).to_have_attribute("href", "/csrs/new")


def test_rows_show_name_common_name_sans_and_key_type(logged_in: Page, api: httpx.Client) -> None:
    create_csr(
        api, "rsa-row", key_type="RSA", key_length=2048, san=["DNS:a.example.com", "IP:192.0.2.7"]
    )
    create_csr(api, "ec-row", ec_curve="SECP256R1")
    page = logged_in
    page.reload()
    rsa = page.get_by_role("row", name=re.compile("rsa-row"))
    expect(rsa).to_contain_text("rsa-row.example.com")
    expect(rsa).to_contain_text("DNS:a.example.com, IP Address:192.0.2.7")
    expect(rsa).to_contain_text("RSA 2048")
    expect(page.get_by_role("row", name=re.compile("ec-row"))).to_contain_text("EC SECP256R1")


def test_row_menu_download_gives_the_api_bytes(logged_in: Page, api: httpx.Client) -> None:
    csr = create_csr(api, "download-me")
    page = logged_in
    page.reload()
    page.get_by_role("button", name="Actions for download-me").click()
    menu = page.get_by_role("row", name=re.compile("download-me")).get_by_role("list")
    for action in ("Create ACME Certificate", "Download", "Edit", "Delete"):
        expect(menu.get_by_role("link", name=action, exact=True)).to_be_visible()
    with page.expect_download() as info:
        menu.get_by_role("link", name="Download", exact=True).click()
    download = info.value
    assert download.suggested_filename == "download-me.csr"
    from_api = api.get(f"/csrs/{csr['id']}/csr")
    assert from_api.status_code == 200
    assert Path(download.path()).read_bytes() == from_api.content


def test_row_menu_closes_with_escape_and_is_keyboard_reachable(
    logged_in: Page, api: httpx.Client
) -> None:
    create_csr(api, "keyboard")
    page = logged_in
    page.reload()
    summary = page.get_by_role("button", name="Actions for keyboard")
    expect(summary).to_have_attribute("aria-expanded", "false")
    summary.focus()
    page.keyboard.press("Enter")
    expect(summary).to_have_attribute("aria-expanded", "true")
    edit = page.get_by_role("row", name=re.compile("keyboard")).get_by_role("link", name="Edit")
    expect(edit).to_be_visible()
    page.keyboard.press("Escape")
    expect(edit).to_be_hidden()
    expect(summary).to_be_focused()


def test_delete_dialog_cancel_then_delete(logged_in: Page, api: httpx.Client) -> None:
    csr = create_csr(api, "doomed")
    create_csr(api, "survivor")
    page = logged_in
    page.reload()
    page.get_by_label("Actions for doomed").click()
    page.get_by_role("row", name=re.compile("doomed")).get_by_role("link", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete Certificate")
    expect(dialog).to_contain_text('Are you sure you want to delete "doomed"?')
    expect(dialog.get_by_label("Force")).not_to_be_checked()
    expect(dialog).to_contain_text("certificates were issued from it")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert api.get(f"/csrs/{csr['id']}").status_code == 200

    page.get_by_label("Actions for doomed").click()
    page.get_by_role("row", name=re.compile("doomed")).get_by_role("link", name="Delete").click()
    dialog.get_by_label("Force").check()
    dialog.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted doomed.")
    expect(page.get_by_role("row", name=re.compile("doomed"))).to_have_count(0)
    expect(page.get_by_role("row", name=re.compile("survivor"))).to_have_count(1)
    assert api.get(f"/csrs/{csr['id']}").status_code == 404
