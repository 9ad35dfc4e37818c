"""Every setting name of api.md's "Web UI labels" that a screen shows finds exactly one control
with ``get_by_label`` on the Add CSR, Create ACME Certificate and Edit CSR screens (with
``exact=True`` only where the name is part of another label on the same page, such as "Name"
in "Common Name"), with and without JavaScript."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, StorageState, expect

from tests.browser.conftest import PageErrors, create_csr, new_context
from tests.fixtures.live_server import LiveServer

ADD_CSR_LABELS = (
    "Name",
    "Type",
    "Profile",
    "Key Type",
    "EC Curve",
    "Key Length",
    "Digest Algorithm",
    "Signing Request",
    "Private Key",
    "Passphrase",
    "Confirm Passphrase",
    "Country",
    "State",
    "Locality",
    "Organization",
    "Organizational Unit",
    "Email",
    "Common Name",
    "Subject Alternate Names",
    "Basic Constraints",
    "Path Length",
    "Basic Constraints Config",
    "Authority Key Identifier",
    "Extended Key Usage",
    "Usages",
    "Critical Extension",
    "Key Usage",
    "Key Usage Config",
)
#: The names the task says must be unique without ``exact`` (none is inside another label).
ADD_CSR_LOOSE = (
    "Country",
    "Subject Alternate Names",
    "Common Name",
    "Key Type",
    "EC Curve",
    "Key Length",
    "Digest Algorithm",
    "Profile",
    "Usages",
    "Basic Constraints Config",
    "Key Usage Config",
)
ACME_LABELS = (
    "Identifier",
    "Terms of Service",
    "Renew Certificate Days",
    "Custom ACME Server Directory URI",
    "ACME Server Directory URI",
)


def page_labels(page: Page) -> list[str]:
    """The text of every ``<label>`` on the page (hidden ones too: get_by_label sees them)."""
    texts: list[str] = page.locator("label").evaluate_all(
        "labels => labels.map(l => l.textContent.trim())"
    )
    return texts


def assert_unique(page: Page, names: tuple[str, ...]) -> list[str]:
    """Each name finds one control; returns the names that needed ``exact=True``."""
    labels = page_labels(page)
    needed_exact = []
    for name in names:
        inside_another = any(name.lower() in other.lower() and other != name for other in labels)
        if inside_another:
            needed_exact.append(name)
        found = page.get_by_label(name, exact=inside_another)
        assert found.count() == 1, f"{name!r} (exact={inside_another}) finds {found.count()}"
    return needed_exact


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def any_page(
    request: pytest.FixtureRequest,
    browser: Browser,
    server: LiveServer,
    session_state: StorageState,
    page_errors: PageErrors,
) -> Iterator[Page]:
    ctx = new_context(
        browser, server, storage_state=session_state, java_script_enabled=request.param
    )
    yield page_errors.watch(ctx.new_page())
    ctx.close()


def test_add_csr_labels_are_unique(any_page: Page) -> None:
    page = any_page
    page.goto("/csrs/new")
    needed_exact = assert_unique(page, ADD_CSR_LABELS)
    # Exact only where the document's words make it unavoidable.
    assert set(needed_exact) == {
        "Name",
        "Type",
        "Passphrase",
        "Organization",
        "Basic Constraints",
        "Key Usage",
    }
    for name in ADD_CSR_LOOSE:
        expect(page.get_by_label(name)).to_have_count(1)
    expect(page.get_by_label("Type", exact=True)).to_have_value("CERTIFICATE_CREATE_CSR")
    if page.evaluate("() => document.documentElement.classList.contains('js')"):
        page.get_by_label("Name", exact=True).fill("labels")
        page.get_by_role("button", name="Next").click()
        page.get_by_role("button", name="Next").click()
    # The Country select takes an ISO code.
    page.get_by_label("Country").select_option("DE")
    expect(page.get_by_label("Country")).to_have_value("DE")


def test_create_acme_certificate_labels_are_unique(any_page: Page, api: httpx.Client) -> None:
    page = any_page
    csr = create_csr(api, "labels-acme", san=["DNS:labels-acme.example.com", "DNS:b.example.com"])
    page.goto(f"/csrs/{csr['id']}/acme")
    expect(page.get_by_role("heading", name="Create ACME Certificate")).to_be_visible()
    needed_exact = assert_unique(
        page, (*ACME_LABELS, "DNS:labels-acme.example.com", "DNS:b.example.com")
    )
    assert needed_exact == ["ACME Server Directory URI"]
    if page.evaluate("() => document.documentElement.classList.contains('js')"):
        # A custom URI swaps the labels: the text field is then the ACME Server Directory URI.
        page.get_by_label("Custom ACME Server Directory URI").check()
        assert_unique(page, ACME_LABELS)
        expect(page.get_by_label("ACME Server Directory URI", exact=True)).to_be_editable()


def test_edit_csr_labels_are_unique(any_page: Page, api: httpx.Client) -> None:
    page = any_page
    csr = create_csr(api, "labels-edit")
    page.goto(f"/csrs/{csr['id']}")
    expect(page.get_by_role("heading", name="Edit CSR")).to_be_visible()
    assert assert_unique(page, ("Name",)) == []
    expect(page.get_by_label("Name")).to_have_value("labels-edit")
    expect(page.get_by_role("link", name="View/Download CSR")).to_have_count(1)
    expect(page.get_by_role("link", name="View/Download Key")).to_have_count(1)
    expect(page.get_by_role("link", name="Create ACME Certificate")).to_have_count(1)
