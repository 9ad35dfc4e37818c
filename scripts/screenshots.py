"""Render a screenshot of each web UI screen into ``docs/screenshots/*.png``.

Starts a throwaway certdesk (the tests' live server: SQLite in a temporary directory, one user)
and drives Debian's Chromium through Playwright. Run from the repository root:

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE  # noqa: E402
from tests.fixtures.live_server import LiveServer, live_settings, run_live_server  # noqa: E402

from certdesk.services import authenticators  # noqa: E402
from certdesk.services.authenticator_schemas import AuthenticatorCreate  # noqa: E402
from certdesk.services.context import Actor  # noqa: E402


def add_examples(server: LiveServer) -> int:
    """Three CSRs to show in the card; returns the id of the first."""
    bodies = [
        {
            "name": "www-example",
            "profile": "HTTPS RSA Certificate",
            "country": "NL",
            "organization": "Example BV",
            "common": "www.example.com",
            "san": ["DNS:www.example.com", "DNS:example.com"],
        },
        {
            "name": "api-ecc",
            "profile": "HTTPS ECC Certificate",
            "common": "api.example.com",
            "san": ["DNS:api.example.com", "IP:192.0.2.10"],
        },
        {
            "name": "wildcard",
            "key_type": "EC",
            "ec_curve": "SECP256R1",
            "san": ["DNS:*.apps.example.com"],
        },
    ]
    ids = []
    with server.client() as api:
        for body in bodies:
            response = api.post("/csrs", json={"create_type": "CERTIFICATE_CREATE_CSR", **body})
            response.raise_for_status()
            ids.append(int(response.json()["id"]))
    return ids[0]


def add_authenticator(server: LiveServer) -> None:
    """An RFC 2136 authenticator (never used here) so the DNS selects have a choice."""
    authenticators.create(
        server.ctx,
        AuthenticatorCreate(
            name="office-bind",
            type="rfc2136",
            attributes={
                "server": "192.0.2.53",
                "key_name": "certdesk",
                "key_secret": "c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
            },
        ),
        Actor("screenshots"),
    )


def log_in(page: Page, server: LiveServer) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(server.username)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Log In").click()
    expect(page.get_by_role("button", name="Log Out")).to_be_visible()


def shoot(page: Page, out: Path, name: str, *, full_page: bool = True) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / f"{name}.png"), full_page=full_page)
    print(f"{out / name}.png")


def next_step(page: Page, title: str) -> None:
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("group", name=title, exact=True)).to_be_visible()


def wizard(page: Page, out: Path, prefix: str = "wizard") -> None:
    page.goto("/csrs/new")
    page.get_by_label("Name", exact=True).fill("mail-example")
    page.get_by_label("Profile", exact=True).select_option("HTTPS RSA Certificate")
    shoot(page, out, f"{prefix}-1-identifier-and-type")
    next_step(page, "Certificate Options")
    page.get_by_label("Key Length", exact=True).select_option("1024")
    shoot(page, out, f"{prefix}-2-certificate-options")
    page.get_by_label("Key Length", exact=True).select_option("2048")
    next_step(page, "Certificate Subject")
    page.get_by_label("Filter countries").fill("nether")
    page.get_by_label("State", exact=True).fill("Noord-Holland")
    page.get_by_label("Locality", exact=True).fill("Amsterdam")
    page.get_by_label("Organization", exact=True).fill("Example BV")
    page.get_by_label("Common Name", exact=True).fill("mail.example.com")
    san = page.get_by_label("Subject Alternate Names", exact=True)
    for value in ("mail.example.com", "smtp.example.com", "imap.example.com"):
        san.fill(value)
        san.press("Enter")
    shoot(page, out, f"{prefix}-3-certificate-subject")
    next_step(page, "Extra Constraints")
    shoot(page, out, f"{prefix}-4-extra-constraints")
    next_step(page, "Confirm Options")
    shoot(page, out, f"{prefix}-5-confirm-options")


def desktop(browser: Browser, server: LiveServer, out: Path, scheme: str) -> None:
    context = browser.new_context(
        base_url=server.base_url,
        viewport=DESKTOP,
        color_scheme=scheme,  # type: ignore[arg-type]
    )
    page = context.new_page()
    dark = scheme == "dark"
    if not dark:
        page.goto("/login")
        shoot(page, out, "login")
    log_in(page, server)
    if not dark:
        shoot(page, out, "certificates-empty")
        first = add_examples(server)
        page.reload()
        shoot(page, out, "certificates")
        page.get_by_label("Actions for www-example").click()
        shoot(page, out, "certificates-row-menu", full_page=False)
        page.get_by_role("row", name=re.compile("www-example")).get_by_role(
            "link", name="Delete"
        ).click()
        shoot(page, out, "delete-dialog", full_page=False)
        page.get_by_role("button", name="Cancel").click()
        wizard(page, out)
        page.goto("/csrs/new?type=import")
        page.get_by_label("Name", exact=True).fill("imported-elsewhere")
        next_step(page, "Import Certificate")
        shoot(page, out, "wizard-import-certificate")
        page.goto("/csrs/new")
        page.get_by_label("Name", exact=True).fill("www-example")
        next_step(page, "Certificate Options")
        next_step(page, "Certificate Subject")
        page.get_by_label("Subject Alternate Names", exact=True).fill("bad!name.example.com")
        next_step(page, "Extra Constraints")
        next_step(page, "Confirm Options")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#f-san-error")).to_be_visible()
        shoot(page, out, "wizard-error-on-its-step")
        add_authenticator(server)
        page.goto(f"/csrs/{first}/acme")
        page.get_by_label("Identifier").fill("www-example-le")
        page.get_by_label("Terms of Service").check()
        shoot(page, out, "create-acme-certificate")
        page.goto(f"/csrs/{first}")
        shoot(page, out, "edit-csr")
        page.get_by_role("link", name="View/Download Key").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        shoot(page, out, "key-dialog", full_page=False)
    else:
        shoot(page, out, "dark-certificates")
        wizard_page = page
        wizard_page.goto("/csrs/new")
        wizard_page.get_by_label("Name", exact=True).fill("dark-mode")
        next_step(wizard_page, "Certificate Options")
        shoot(wizard_page, out, "dark-wizard-certificate-options")
    context.close()


def phone(browser: Browser, server: LiveServer, out: Path) -> None:
    context = browser.new_context(
        base_url=server.base_url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    log_in(page, server)
    shoot(page, out, "phone-certificates")
    page.get_by_label("Actions for www-example").click()
    shoot(page, out, "phone-row-menu", full_page=False)
    page.goto("/csrs/new")
    page.get_by_label("Name", exact=True).fill("phone")
    next_step(page, "Certificate Options")
    next_step(page, "Certificate Subject")
    shoot(page, out, "phone-wizard-subject")
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = live_settings(f"sqlite:///{tmp}/certdesk.db", Path(tmp) / "data")
        with run_live_server(settings) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            try:
                desktop(browser, server, out, "light")
                phone(browser, server, out)
                desktop(browser, server, out, "dark")
            finally:
                browser.close()


if __name__ == "__main__":
    main()
