"""Without JavaScript the core flows still work (every wizard step shows at once, the server
applies a chosen profile, the key view is a page); on a 390×844 phone no page scrolls sideways;
dark mode follows the system."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, StorageState, expect

from tests.browser.conftest import PHONE, PageErrors, create_csr, csr_by_name, new_context
from tests.browser.test_wizard import openssl_text
from tests.fixtures.live_server import LiveServer


@pytest.fixture
def nojs_page(browser: Browser, server: LiveServer, session_state: StorageState) -> Iterator[Page]:
    ctx = new_context(browser, server, storage_state=session_state, java_script_enabled=False)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture
def phone_page(
    browser: Browser, server: LiveServer, session_state: StorageState, page_errors: PageErrors
) -> Iterator[Page]:
    ctx = new_context(
        browser,
        server,
        storage_state=session_state,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    yield page_errors.watch(ctx.new_page())
    ctx.close()


def test_without_javascript_a_csr_is_created_with_a_profile(
    nojs_page: Page, api: httpx.Client
) -> None:
    page = nojs_page
    page.goto("/csrs/new")
    for title in ("Identifier and Type", "Certificate Options", "Certificate Subject",
                  "Extra Constraints", "Confirm Options"):  # fmt: skip
        expect(page.get_by_role("group", name=title, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Next")).to_be_hidden()
    page.get_by_label("Name", exact=True).fill("no-script")
    page.get_by_label("Profile", exact=True).select_option("HTTPS ECC Certificate")
    page.get_by_role("button", name="Apply Profile").click()
    expect(page.get_by_label("Key Type", exact=True)).to_have_value("EC")
    expect(page.get_by_label("Name", exact=True)).to_have_value("no-script")
    expect(page.get_by_label("Usages")).to_have_values(["CLIENT_AUTH", "SERVER_AUTH"])
    expect(page.get_by_label("Basic Constraints Config")).to_have_values(["extension_critical"])
    # The native multiple selects work without the script.
    page.get_by_label("Usages").select_option("SERVER_AUTH")
    page.get_by_label("Key Usage Config").select_option(
        ["Digital Signature", "Key Agreement", "Critical Extension"]
    )
    page.get_by_label("Common Name", exact=True).fill("plain.example.com")
    page.get_by_label("Subject Alternate Names", exact=True).fill(
        "plain.example.com\nwww.plain.example.com"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Certificate signing request created")
    details = csr_by_name(api, "no-script")
    assert details["key_type"] == "EC"
    assert details["ec_curve"] == "SECP384R1"
    assert details["san"] == ["DNS:plain.example.com", "DNS:www.plain.example.com"]
    assert "KeyUsage" in " ".join(details["extensions"])  # type: ignore[arg-type]
    text = openssl_text(api.get(f"/csrs/{details['id']}/csr").content)
    assert "TLS Web Server Authentication" in text
    assert "TLS Web Client Authentication" not in text
    assert "Digital Signature, Key Agreement" in text


def test_without_javascript_errors_show_and_the_key_is_a_page(
    nojs_page: Page, api: httpx.Client
) -> None:
    page = nojs_page
    page.goto("/csrs/new")
    page.get_by_label("Name", exact=True).fill("no-script-err")
    page.get_by_label("Subject Alternate Names", exact=True).fill("bad!name.example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#f-san-error")).to_contain_text("Entry 1")
    expect(page.get_by_label("Subject Alternate Names", exact=True)).to_have_value(
        "bad!name.example.com"
    )

    csr = create_csr(api, "no-script-key")
    page.goto(f"/csrs/{csr['id']}")
    page.get_by_role("link", name="View/Download Key").click()
    expect(page.get_by_role("heading", name="Private Key")).to_be_visible()
    key = api.get(f"/csrs/{csr['id']}/private-key").text
    expect(page.get_by_label("no-script-key.key")).to_have_value(key)

    page.goto("/certificates")
    page.get_by_label("Actions for no-script-key").click()
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete Certificate")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted no-script-key.")


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width[0] <= width[1], f"{page.url} scrolls sideways: {width}"


def test_phone_has_no_horizontal_scroll(phone_page: Page, api: httpx.Client) -> None:
    csr = create_csr(
        api,
        "a-rather-long-csr-name-for-a-small-phone-screen",
        common="averyveryverylongsubdomainname.department.example.com",
        san=[f"DNS:host{i}.averyveryverylongsubdomainname.example.com" for i in range(6)],
    )
    page = phone_page
    page.goto("/certificates")
    no_horizontal_scroll(page)
    page.get_by_label("Actions for a-rather-long-csr-name-for-a-small-phone-screen").click()
    no_horizontal_scroll(page)
    page.goto(f"/csrs/{csr['id']}/acme")
    no_horizontal_scroll(page)
    page.goto(f"/csrs/{csr['id']}")
    no_horizontal_scroll(page)
    page.get_by_role("link", name="View/Download Key").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    no_horizontal_scroll(page)
    page.goto("/csrs/new")
    page.get_by_label("Name", exact=True).fill("phone")
    for title in ("Certificate Options", "Certificate Subject", "Extra Constraints",
                  "Confirm Options"):  # fmt: skip
        no_horizontal_scroll(page)
        if title == "Confirm Options":  # the multiple selects of Extra Constraints, shown
            for extension in ("Basic Constraints", "Extended Key Usage", "Key Usage"):
                page.get_by_label(extension, exact=True).check()
            expect(page.get_by_label("Usages")).to_be_visible()
            no_horizontal_scroll(page)
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_role("group", name=title, exact=True)).to_be_visible()
    no_horizontal_scroll(page)


def test_dark_mode_follows_the_system(page: Page) -> None:
    page.emulate_media(color_scheme="light")
    page.goto("/certificates")
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert light != dark
    assert dark == "rgb(18, 22, 27)"


def test_keyboard_focus_is_visible(page: Page) -> None:
    page.goto("/certificates")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + ' ' + "
        "getComputedStyle(document.activeElement).outlineWidth"
    )
    assert outline == "solid 3px"
