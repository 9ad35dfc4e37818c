"""The ACME DNS-Authenticator pages over plain HTTP (no browser, no script): the card, choosing a
type with "Show Fields", a rejected form that keeps what was typed but never a secret, CSRF on
every POST, edit keeping the secret, delete refused while a certificate uses it, and Test's
error for a bad domain."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from certdesk.storage.models import CertificateRow
from tests.fixtures.live_server import LiveServer


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=30, follow_redirects=False)


def _log_in(client: httpx.Client, server: LiveServer) -> str:
    """Log in through the form; the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "username": server.username,
            "password": server.password,
            "next": "/certificates",
        },
    )
    assert response.status_code == 303
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/certificates").text)
    assert csrf is not None
    return csrf.group(1)


def _labels(html: str) -> list[str]:
    return re.findall(r'<label for="[^"]+">([^<]+)</label>', html)


def test_add_without_script_edit_and_delete(live_server: LiveServer) -> None:
    with _client(live_server) as client:
        csrf = _log_in(client, live_server)
        card = client.get("/certificates").text
        assert "ACME DNS-Authenticators" in card and "No ACME DNS-Authenticators." in card

        form = client.get("/authenticators/new")
        assert form.status_code == 200
        assert _labels(form.text)[:3] == ["Name", "Authenticator", "Server"]
        shown = client.post(
            "/authenticators/new",
            data={"csrf_token": csrf, "name": "cf", "type": "cloudflare", "action": "choose_type"},
        )
        assert shown.status_code == 200
        assert _labels(shown.text) == [
            "Name",
            "Authenticator",
            "Cloudflare Email",
            "Api Key",
            "Api Token",
        ]
        assert 'value="cf"' in shown.text

        refused = client.post(
            "/authenticators/new",
            data={"name": "cf", "type": "cloudflare", "attributes.api_token": "t0ken-value"},
        )
        assert refused.status_code == 403

        rejected = client.post(
            "/authenticators/new",
            data={
                "csrf_token": csrf,
                "name": "cf",
                "type": "cloudflare",
                "attributes.cloudflare_email": "me@example.com",
                "attributes.api_token": "t0ken-value",
            },
        )
        assert rejected.status_code == 422
        assert "Should not be specified when using" in rejected.text
        assert 'value="me@example.com"' in rejected.text
        assert "t0ken-value" not in rejected.text

        created = client.post(
            "/authenticators/new",
            data={
                "csrf_token": csrf,
                "name": "cf",
                "type": "cloudflare",
                "attributes.api_token": "t0ken-value",
            },
        )
        assert created.status_code == 303
        assert created.headers["location"].startswith("/certificates?notice=authenticator_added")
        card = client.get(created.headers["location"]).text
        assert "ACME DNS-Authenticator added: cf." in card and "Cloudflare" in card
        [auth] = live_server.client().get("/acme/authenticators").json()

        edit = client.get(f"/authenticators/{auth['id']}")
        assert "Leave empty to keep the current value." in edit.text
        assert "t0ken-value" not in edit.text
        saved = client.post(
            f"/authenticators/{auth['id']}",
            data={
                "csrf_token": csrf,
                "name": "cloudflare-main",
                "attributes.cloudflare_email": "",
                "attributes.api_key": "",
                "attributes.api_token": "",
            },
        )
        assert saved.status_code == 303, saved.text
        [kept] = live_server.client().get("/acme/authenticators").json()
        assert kept["name"] == "cloudflare-main" and kept["secrets_set"] == ["api_token"]

        now = datetime.now(UTC)
        with live_server.ctx.db.session() as session:
            session.add(
                CertificateRow(
                    name="shop",
                    chain_pem="-",
                    private_key_enc=live_server.ctx.box.encrypt(b"-"),
                    csr_pem="-",
                    acme_directory="https://acme.invalid/directory",
                    domains_authenticators={"shop.example.com": auth["id"]},
                    not_before=now,
                    not_after=now + timedelta(days=90),
                    serial="01",
                    issuer="CN=test",
                    created_at=now,
                    updated_at=now,
                )
            )
        confirm = client.get(f"/authenticators/{auth['id']}/delete")
        assert "Used by: shop." in confirm.text
        in_use = client.post(f"/authenticators/{auth['id']}/delete", data={"csrf_token": csrf})
        assert in_use.status_code == 409 and "shop" in in_use.text
        forced = client.post(
            f"/authenticators/{auth['id']}/delete", data={"csrf_token": csrf, "force": "on"}
        )
        assert forced.status_code == 303
        assert "No ACME DNS-Authenticators." in client.get("/certificates").text
        assert client.get(f"/authenticators/{auth['id']}").status_code == 404


def test_test_page_reports_a_bad_domain(live_server: LiveServer) -> None:
    body = {"name": "cf", "type": "cloudflare", "attributes": {"api_token": "t"}}
    auth_id = live_server.client().post("/acme/authenticators", json=body).json()["id"]
    with _client(live_server) as client:
        csrf = _log_in(client, live_server)
        page = client.get(f"/authenticators/{auth_id}/test")
        assert page.status_code == 200 and "Domain" in _labels(page.text)
        bad = client.post(
            f"/authenticators/{auth_id}/test", data={"csrf_token": csrf, "domain": "a b"}
        )
        assert bad.status_code == 422
        assert "is not a valid DNS name" in bad.text
