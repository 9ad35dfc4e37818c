"""Logins, sessions, CSRF, API tokens and the login rate limit, over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.fixtures.live_server import LiveServer, live_settings, run_live_server
from tests.integration.api.helpers import assert_problem

PUBLIC = {("post", "/api/v1/auth/login"), ("get", "/api/v1/health")}


def test_health_answers_without_credentials(live_server: LiveServer) -> None:
    response = httpx.get(live_server.api + "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def _operations(live_server: LiveServer) -> list[tuple[str, str]]:
    with live_server.client() as client:
        spec = client.get("/openapi.json").json()
    ops = []
    for path, item in spec["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.append((method, path))
    return ops


def test_every_route_but_login_and_health_needs_credentials(live_server: LiveServer) -> None:
    operations = _operations(live_server)
    protected = [op for op in operations if op not in PUBLIC]
    assert len(protected) >= 10, operations
    assert set(operations) >= PUBLIC
    for method, path in protected:
        url = live_server.base_url + re.sub(r"\{[^}]+\}", "1", path)
        for headers in ({}, {"Authorization": "Bearer cdt_not-a-real-token"}):
            response = httpx.request(method, url, headers=headers, json={})
            problem = assert_problem(response, 401)
            assert "Bearer" in response.headers.get("www-authenticate", ""), (method, path)
            assert problem["detail"]
        # A session cookie that was never issued is refused the same way.
        response = httpx.request(method, url, cookies={"certdesk_session": "forged"}, json={})
        assert_problem(response, 401)


def test_token_works_and_a_revoked_token_stops_at_once(live_server: LiveServer) -> None:
    with live_server.client() as admin:
        created = admin.post("/tokens", json={"name": "ci"})
        assert created.status_code == 201, created.text
        new = created.json()
        assert new["token"].startswith("cdt_") and new["prefix"] == new["token"][4:12]
        listed = admin.get("/tokens").json()
        assert {t["name"] for t in listed} == {"tests", "ci"}
        assert all("token" not in t for t in listed)

        with live_server.client(token=new["token"]) as ci:
            assert ci.get("/csrs").status_code == 200
            used = {t["id"]: t for t in admin.get("/tokens").json()}[new["id"]]
            assert used["last_used_at"] is not None  # the first use is recorded
            assert admin.delete(f"/tokens/{new['id']}").status_code == 204
            assert_problem(ci.get("/csrs"), 401)
            assert_problem(ci.post("/tokens", json={"name": "again"}), 401)

        revoked = {t["id"]: t for t in admin.get("/tokens").json()}[new["id"]]
        assert revoked["revoked_at"] is not None
        assert_problem(admin.delete("/tokens/999999"), 404)
        actions = [e["action"] for e in admin.get("/audit").json()["items"]]
        assert "token.create" in actions and "token.revoke" in actions


def _login(server: LiveServer, client: httpx.Client, password: str | None = None) -> httpx.Response:
    return client.post(
        server.api + "/auth/login",
        json={"username": server.username, "password": password or server.password},
    )


def test_login_sets_a_strict_httponly_cookie_and_csrf_guards_unsafe_requests(
    live_server: LiveServer,
) -> None:
    with httpx.Client(base_url=live_server.api) as browser:
        response = _login(live_server, browser)
        assert response.status_code == 200, response.text
        csrf = response.json()["csrf_token"]
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Secure" not in cookie
        assert browser.get("/csrs").status_code == 200

        # An unsafe request with only the cookie is refused; with the CSRF token it passes.
        problem = assert_problem(browser.post("/tokens", json={"name": "x"}), 403)
        assert "CSRF" in problem["detail"]
        bad = browser.post("/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "wrong"})
        assert_problem(bad, 403)
        good = browser.post("/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
        assert good.status_code == 201, good.text

        # The form field works too (the web UI posts forms).
        logout = browser.post("/auth/logout", data={"csrf_token": csrf})
        assert logout.status_code == 204, logout.text
        assert_problem(browser.get("/csrs", cookies={"certdesk_session": ""}), 401)

    with live_server.client() as admin:
        events = admin.get("/audit").json()["items"]
        assert [e["action"] for e in events if e["action"] in {"login", "logout"}] == [
            "logout",
            "login",
        ]


def test_a_closed_session_stops_working(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.api) as browser:
        csrf = _login(live_server, browser).json()["csrf_token"]
        session = browser.cookies["certdesk_session"]
        assert browser.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    with httpx.Client(base_url=live_server.api, cookies={"certdesk_session": session}) as stale:
        assert_problem(stale.get("/csrs"), 401)


def test_wrong_password_is_refused_and_audited(live_server: LiveServer) -> None:
    with httpx.Client() as client:
        problem = assert_problem(_login(live_server, client, "wrong password"), 401)
        assert "wrong" in problem["detail"]
        assert "certdesk_session" not in client.cookies
        nobody = client.post(
            live_server.api + "/auth/login", json={"username": "nobody", "password": "x" * 9}
        )
        assert_problem(nobody, 401)
        assert_problem(client.post(live_server.api + "/auth/login", json={}), 422)
    with live_server.client() as admin:
        failed = [e for e in admin.get("/audit").json()["items"] if e["action"] == "login.failed"]
        assert {e["actor"] for e in failed} == {"admin", "nobody"}
        assert all(e["client"] == "127.0.0.1" for e in failed)


def test_login_is_rate_limited_per_username_and_client(tmp_path: Path) -> None:
    settings = live_settings(
        f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "data", login_attempts_per_minute=3
    )
    with run_live_server(settings) as server, httpx.Client() as client:
        for _ in range(3):
            assert_problem(_login(server, client, "wrong password"), 401)
        # Now even the right password is refused, with a time to retry.
        problem = assert_problem(_login(server, client), 403)
        assert re.search(r"try again in \d+ seconds", problem["detail"]), problem
        # Another username from the same client is not affected.
        from certdesk.services import auth

        auth.add_or_reset_user(server.ctx, "other", "another password")
        other = client.post(
            server.api + "/auth/login", json={"username": "other", "password": "another password"}
        )
        assert other.status_code == 200, other.text


@pytest.mark.parametrize("secure", [False, True])
def test_cookie_is_secure_when_configured(tmp_path: Path, secure: bool) -> None:
    settings = live_settings(
        f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "data", cookie_secure=secure
    )
    with run_live_server(settings) as server, httpx.Client() as client:
        cookie = _login(server, client).headers["set-cookie"]
        assert ("; secure" in cookie.lower()) is secure


def test_the_api_map_and_docs_need_credentials_too(live_server: LiveServer) -> None:
    for path in ("/api/v1/openapi.json", "/api/docs"):
        anonymous = httpx.get(live_server.base_url + path)
        assert anonymous.status_code == 401, path
        assert anonymous.headers["content-type"].startswith("application/problem+json")
    with live_server.client() as client:
        spec = client.get("/openapi.json")
        assert spec.status_code == 200 and "/api/v1/csrs" in spec.json()["paths"]
        docs = client.get(live_server.base_url + "/api/docs")
        assert docs.status_code == 200 and "/api/v1/openapi.json" in docs.text
