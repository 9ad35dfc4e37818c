"""The API docs in a browser with no Internet: every request to a host other than the live
server is aborted (``page.route``), yet after logging in ``/api/docs`` shows Swagger UI with the
operation list, every file it loaded came from certdesk, and it did not even try another host.

The page's Content-Security-Policy lets Swagger UI do all that (its start-up script, a tried-out
request) without a single violation, seen either in the console or as a
``securitypolicyviolation`` event; and it is enforced: on the same page a request to another
host and an injected inline script are refused, and the watcher sees both."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

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


#: Records each ``securitypolicyviolation`` event of the page (run before the page's scripts,
#: through the DevTools protocol, so the page's own policy does not stop it).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""
CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"


class PolicyWatch:
    """Every console message and uncaught error of a page, and its CSP violation events."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.add_init_script(RECORD_VIOLATIONS)

    def _console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")

    def console_violations(self) -> list[str]:
        return [text for text in self.console if "Content Security Policy" in text]

    def events(self) -> list[str]:
        found: list[str] = self.page.evaluate("() => window.__cspViolations")
        return found


def open_docs(page: Page, server: LiveServer) -> None:
    """Log in, open ``/api/docs`` and wait for the operation list Swagger UI draws."""
    log_in(page, server)
    response = page.goto("/api/docs")
    assert response is not None and response.status == 200
    assert "content-security-policy" in response.headers
    expect(page).to_have_title("certdesk API")
    expect(page.locator('.opblock-summary-path[data-path="/api/v1/csrs"]').first).to_be_visible()


def test_api_docs_show_the_operations_with_no_internet(
    anonymous_page: Page, server: LiveServer
) -> None:
    page = anonymous_page
    guard = OfflineGuard(server)
    guard.install(page)
    watch = PolicyWatch(page)
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

    # Try one operation out: the request (connect-src) and the highlighted answer render.
    get_csrs = page.locator("#operations-csrs-list_csrs_api_v1_csrs_get")
    get_csrs.locator(".opblock-summary-control").click()
    get_csrs.get_by_role("button", name="Try it out").click()
    get_csrs.get_by_role("button", name="Execute").click()
    expect(get_csrs.locator(".live-responses-table tbody .response-col_status").first).to_have_text(
        "200"
    )
    expect(get_csrs.locator(".curl-command")).to_be_visible()

    # The whole visit under the policy: no violation, no script error. (Console errors other
    # than CSP, e.g. the 401 before login, are the page_errors fixture's business.)
    assert watch.console_violations() == [], watch.console_violations()
    assert watch.events() == [], watch.events()
    assert watch.errors == [], watch.errors

    # The guard is live: leaving for a CDN is aborted and recorded.
    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
        page.goto(CDN)
    assert guard.blocked == [CDN]


def test_the_docs_policy_refuses_other_hosts_and_injected_scripts(
    anonymous_page: Page, server: LiveServer
) -> None:
    # A second tab, which the page_errors fixture does not watch: the violations are the point.
    page = anonymous_page.context.new_page()
    guard = OfflineGuard(server)
    guard.install(page)
    watch = PolicyWatch(page)
    open_docs(page, server)
    assert watch.events() == []

    with pytest.raises(PlaywrightError, match="Failed to fetch"):
        page.evaluate("url => fetch(url).then(() => 'loaded')", CDN)
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__injected = true;";
            document.body.appendChild(script);
        }"""
    )
    page.wait_for_function("() => window.__cspViolations.length >= 2")
    assert sorted(watch.events()) == sorted([f"connect-src {CDN}", "script-src-elem inline"]), (
        watch.events()
    )
    assert page.evaluate("() => window.__injected === undefined")
    assert any("connect-src" in text for text in watch.console_violations()), watch.console
    # Refused by the browser itself: the request never reached the network.
    assert guard.blocked == []
    page.close()
