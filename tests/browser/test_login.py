"""Logging in and out: every page sends a visitor without a session to the login page, which
comes back to the page asked for; a wrong password says so; Log Out ends the session."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import create_csr, log_in
from tests.fixtures.live_server import LiveServer


def test_pages_need_a_session_and_login_returns_to_the_page(
    anonymous_page: Page, server: LiveServer, api: httpx.Client
) -> None:
    page = anonymous_page
    csr = create_csr(api, "web-login")
    for path in ("/certificates", "/csrs/new", f"/csrs/{csr['id']}"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/login"))
        expect(page.get_by_role("button", name="Log In")).to_be_visible()
    log_in(page, server, f"/csrs/{csr['id']}")
    expect(page).to_have_url(re.compile(rf"/csrs/{csr['id']}$"))
    expect(page.get_by_role("heading", name="Edit CSR")).to_be_visible()


def test_wrong_password_is_refused_with_a_message(anonymous_page: Page, server: LiveServer) -> None:
    page = anonymous_page
    page.goto("/login")
    page.get_by_label("Username").fill(server.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log In").click()
    expect(page.get_by_role("alert")).to_contain_text("The username or the password is wrong.")
    expect(page.get_by_label("Username")).to_have_value(server.username)
    expect(page.get_by_label("Password")).to_have_value("")


def test_log_out_ends_the_session(anonymous_page: Page, server: LiveServer) -> None:
    page = anonymous_page
    log_in(page, server)
    page.get_by_role("button", name="Log Out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/certificates")
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_post_without_the_csrf_token_is_refused(logged_in: Page, api: httpx.Client) -> None:
    page = logged_in
    response = page.request.post(
        "/csrs/new", form={"name": "forged", "common": "forged.example.com"}
    )
    assert response.status == 403
    assert "reload the page" in response.text()
    assert api.get("/csrs", params={"search": "forged"}).json()["total"] == 0
