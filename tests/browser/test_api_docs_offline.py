"""The API docs in a browser with no Internet: every request to a host other than the live
server is aborted (``page.route``), yet after logging in ``/api/docs`` shows Swagger UI with the
operation list, every file it loaded came from certdesk, and it did not even try another host."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect

from certdesk.api.docs import ASSETS_PATH
from tests.browser.conftest import log_in
from tests.fixtures.live_server import LiveServer


class OfflineGuard:
    """Lets requests to the live server through and aborts (and records) every other one."""

    def __init__(self, server: LiveServer) -> None:
        self.own = urlsplit(server.base_url).netloc
        self.blocked: list[str] = []

    def handle(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).netloc == self.own:
            route.continue_()
            return
        self.blocked.append(url)
        route.abort("internetdisconnected")

    def install(self, page: Page) -> None:
        page.route("**/*", self.handle)


def test_api_docs_show_the_operations_with_no_internet(
    anonymous_page: Page, server: LiveServer
) -> None:
    page = anonymous_page
    guard = OfflineGuard(server)
    guard.install(page)
    loaded: dict[str, int] = {}
    page.on("response", lambda response: loaded.__setitem__(response.url, response.status))

    anonymous = page.goto("/api/docs")
    assert anonymous is not None and anonymous.status == 401

    log_in(page, server)
    page.goto("/api/docs")
    expect(page).to_have_title("certdesk API")
    csrs = page.locator('.opblock-summary-path[data-path="/api/v1/csrs"]').first
    expect(csrs).to_be_visible()
    # Swagger UI puts a zero-width space before each slash so long paths can wrap.
    assert csrs.inner_text().replace("\u200b", "") == "/api/v1/csrs"
    expect(page.locator(".opblock-tag-section").first).to_be_visible()

    assets = {urlsplit(url).path: status for url, status in loaded.items() if ASSETS_PATH in url}
    assert {
        f"{ASSETS_PATH}/swagger-ui-bundle.js",
        f"{ASSETS_PATH}/swagger-ui.css",
    } <= set(assets), loaded
    assert set(assets.values()) == {200}, assets
    assert guard.blocked == [], f"the docs page asked for other hosts: {guard.blocked}"

    # The guard is live: a request to a CDN from this page fails and is recorded.
    cdn = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
    try:
        page.evaluate("url => fetch(url).then(() => 'loaded')", cdn)
    except PlaywrightError as exc:
        assert "Failed to fetch" in str(exc)
    else:
        raise AssertionError(f"{cdn} was fetched although other hosts are blocked")
    assert guard.blocked == [cdn]
