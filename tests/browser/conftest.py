"""Browser tests: Playwright drives Debian's Chromium (``/usr/bin/chromium``; Playwright's own
browser download is never used) against a live certdesk server on SQLite. One browser per test
session, one server and one browser context per test. A JavaScript error on any page fails the
test that caused it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    StorageState,
    expect,
    sync_playwright,
)

from tests.fixtures.live_server import LiveServer, live_settings, run_live_server

CHROMIUM = os.environ.get("CERTDESK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the session (a fresh one per test would spend seconds on Argon2 and
    migrations); ``clean_server`` empties it before each test."""
    root = tmp_path_factory.mktemp("browser-server")
    settings = live_settings(f"sqlite:///{root / 'certdesk.db'}", root / "data")
    with run_live_server(settings) as live:
        yield live


@pytest.fixture(scope="package")
def api(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture(autouse=True)
def clean_server(api: httpx.Client) -> None:
    """Every test starts with no certificates and no CSRs."""
    while certs := api.get("/certificates", params={"limit": 100}).json()["items"]:
        for cert in certs:
            response = api.delete(f"/certificates/{cert['id']}", params={"force": "true"})
            assert response.status_code == 200, response.text
    while items := api.get("/csrs", params={"limit": 100}).json()["items"]:
        for item in items:
            response = api.delete(f"/csrs/{item['id']}", params={"force": "true"})
            assert response.status_code == 204, response.text


class PageErrors:
    """JavaScript errors seen on the pages of one test."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def _console(self, message: ConsoleMessage) -> None:
        # A page answered with 4xx (a form re-rendered with its errors) is not a script error.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def watch(self, page: Page) -> Page:
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._console)
        return page


@pytest.fixture
def page_errors() -> Iterator[PageErrors]:
    errors = PageErrors()
    yield errors
    assert errors.errors == [], f"JavaScript errors on the page: {errors.errors}"


def new_context(browser: Browser, server: LiveServer, **options: object) -> BrowserContext:
    context = browser.new_context(
        base_url=server.base_url, viewport=options.pop("viewport", DESKTOP), **options
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def anonymous_page(browser: Browser, server: LiveServer, page_errors: PageErrors) -> Iterator[Page]:
    """A page in a context that has not logged in."""
    ctx = new_context(browser, server)
    yield page_errors.watch(ctx.new_page())
    ctx.close()


def log_in(page: Page, server: LiveServer, path: str = "/certificates") -> None:
    """Open ``path``, which sends us to the login page, and log in."""
    page.goto(path)
    page.get_by_label("Username").fill(server.username)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Log In").click()
    expect(page.get_by_role("button", name="Log Out")).to_be_visible()


@pytest.fixture(scope="package")
def session_state(browser: Browser, server: LiveServer) -> StorageState:
    """Cookies of one login through the login page, shared by the tests' contexts."""
    ctx = new_context(browser, server)
    log_in(ctx.new_page(), server)
    state = ctx.storage_state()
    ctx.close()
    return state


@pytest.fixture
def context(
    browser: Browser, server: LiveServer, session_state: StorageState
) -> Iterator[BrowserContext]:
    """A logged-in browser context at 1280×800."""
    ctx = new_context(browser, server, storage_state=session_state)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, page_errors: PageErrors) -> Page:
    return page_errors.watch(context.new_page())


@pytest.fixture
def logged_in(page: Page) -> Page:
    """A logged-in page on the Certificates screen."""
    page.goto("/certificates")
    return page


def create_csr(api: httpx.Client, name: str, **fields: object) -> dict[str, object]:
    """A CSR made through the API (the web UI must show what the API made)."""
    body = {"name": name, "create_type": "CERTIFICATE_CREATE_CSR", "key_type": "EC"}
    body.update({"common": f"{name}.example.com", "san": [f"DNS:{name}.example.com"]})
    body.update(fields)
    response = api.post("/csrs", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def csr_by_name(api: httpx.Client, name: str) -> dict[str, object]:
    items = api.get("/csrs", params={"search": name}).json()["items"]
    matches = [item for item in items if item["name"] == name]
    assert matches, f"no CSR named {name!r} in {items}"
    details: dict[str, object] = api.get(f"/csrs/{matches[0]['id']}").json()
    return details
