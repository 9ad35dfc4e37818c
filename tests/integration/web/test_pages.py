"""The web UI over plain HTTP (no browser): login with its double-submit CSRF token, the session
CSRF rule on every POST, the wizard's form post and its error page, security headers, and the
static files."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.fixtures.live_server import LiveServer


def web_client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=30, follow_redirects=False)


def log_in(client: httpx.Client, server: LiveServer) -> str:
    """Log in through the form; returns the session's CSRF token from the next page."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "username": server.username,
            "password": server.password,
            "next": "/csrs/new",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/csrs/new"
    wizard = client.get("/csrs/new")
    assert wizard.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', wizard.text)
    assert csrf is not None
    return csrf.group(1)


def test_login_form_needs_its_token(live_server: LiveServer) -> None:
    with web_client(live_server) as client:
        response = client.post(
            "/login", data={"username": live_server.username, "password": live_server.password}
        )
        assert response.status_code == 403
        assert "reload the page" in response.text
        assert "certdesk_session" not in response.cookies


def test_form_post_creates_a_csr_and_errors_come_back_as_a_page(
    live_server: LiveServer,
) -> None:
    with web_client(live_server) as client:
        csrf = log_in(client, live_server)
        fields = {
            "csrf_token": csrf,
            "name": "from-form",
            "create_type": "CERTIFICATE_CREATE_CSR",
            "key_type": "EC",
            "ec_curve": "SECP256R1",
            "digest_algorithm": "SHA256",
            "common": "form.example.com",
            "san": "form.example.com\nIP:192.0.2.5",
        }
        created = client.post("/csrs/new", data=fields)
        assert created.status_code == 303
        assert created.headers["location"] == "/certificates?notice=created&name=from-form"
        with live_server.client() as api:
            items = api.get("/csrs").json()["items"]
        assert [i["name"] for i in items] == ["from-form"]

        again = client.post("/csrs/new", data=fields)
        assert again.status_code == 409
        assert 'data-step="identifier"' in again.text
        assert "already exists" in again.text
        assert 'value="form.example.com"' in again.text

        forged = client.post("/csrs/new", data={**fields, "csrf_token": "wrong"})
        assert forged.status_code == 403


def test_pages_carry_security_headers_and_are_not_cached(live_server: LiveServer) -> None:
    with web_client(live_server) as client:
        log_in(client, live_server)
        page = client.get("/certificates")
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


def test_unknown_csr_is_a_404_page(live_server: LiveServer) -> None:
    with web_client(live_server) as client:
        log_in(client, live_server)
        missing = client.get("/csrs/999999")
        not_a_number = client.get("/csrs/abc")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]
    assert not_a_number.status_code == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/static/app.css?v=1", 200),
        ("/static/app.js", 200),
        ("/static/..%2Ftemplating.py", 404),
        ("/static/nothing.css", 404),
    ],
)
def test_static_files(live_server: LiveServer, path: str, status: int) -> None:
    with web_client(live_server) as client:
        response = client.get(path)
    assert response.status_code == status
    if status == 200:
        assert response.headers["x-content-type-options"] == "nosniff"
        expected = "immutable" if "?v=" in path else "no-cache"
        assert expected in response.headers["cache-control"]


def test_create_acme_form_reports_every_error_without_echoing_the_eab_key(
    live_server: LiveServer,
) -> None:
    with live_server.client() as api:
        csr = api.post(
            "/csrs",
            json={
                "name": "acme-form",
                "create_type": "CERTIFICATE_CREATE_CSR",
                "key_type": "EC",
                "common": "acme.example.com",
                "san": ["DNS:acme.example.com"],
            },
        ).json()
    with web_client(live_server) as client:
        csrf = log_in(client, live_server)
        page = client.get(f"/csrs/{csr['id']}/acme")
        assert page.status_code == 200
        for label in ("Identifier", "Terms of Service", "Renew Certificate Days",
                      "Custom ACME Server Directory URI", "ACME Server Directory URI",
                      "DNS:acme.example.com"):  # fmt: skip
            assert f">{label}</label>" in page.text
        response = client.post(
            f"/csrs/{csr['id']}/acme",
            data={
                "csrf_token": csrf,
                "name": "acme-form",
                "renew_days": "40",
                "acme_directory_uri": "https://acme-staging-v02.api.letsencrypt.org/directory",
                "eab_kid": "kid",
                "eab_hmac_key": "very-secret-hmac",
            },
        )
        assert response.status_code == 422
        for field_id in ("f-name-error", "f-tos-error", "f-renew-days-error",
                         "f-dns-mapping-acme-example-com-error"):  # fmt: skip
            assert f'id="{field_id}"' in response.text
        assert "very-secret-hmac" not in response.text
        assert "type it again" in response.text
        with live_server.client() as api:
            assert api.get("/jobs").json()["total"] == 0
