"""The DNS authenticator routes end to end over HTTP (live server, SQLite and PostgreSQL): the
schemas, create/show/update/delete with secrets never returned and kept when omitted, the fixed
type, problem+json with dotted field paths, in-use deletion, and the Test action against the
real BIND9."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from certdesk.storage.models import CertificateRow
from tests.fixtures.bind import BindServer
from tests.fixtures.live_server import LiveServer
from tests.integration.api.helpers import assert_problem, fields

BASE = "/acme/authenticators"


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[httpx.Client]:
    with live_server.client() as client:
        yield client


def _bind_body(bind: BindServer, name: str = "bind", **attributes: Any) -> dict[str, Any]:
    values = {
        "server": bind.host,
        "port": bind.port,
        "key_name": bind.tsig_name,
        "key_secret": bind.tsig_secret,
    }
    values.update(attributes)
    return {"name": name, "type": "rfc2136", "attributes": values}


def test_schemas_and_choices(api: httpx.Client, live_server: LiveServer) -> None:
    response = api.get(f"{BASE}/schemas")
    assert response.status_code == 200
    schemas = {s["type"]: s for s in response.json()}
    assert {"rfc2136", "shell", "acme-dns", "cloudflare", "route53", "powerdns"} <= set(schemas)
    rfc2136 = schemas["rfc2136"]["schema"]
    assert rfc2136["properties"]["key_secret"]["writeOnly"] is True
    assert rfc2136["properties"]["key_secret"]["format"] == "password"
    assert set(rfc2136["required"]) == {"server", "key_name", "key_secret"}
    assert schemas["cloudflare"]["title"] == "Cloudflare"

    offered = [c["value"] for c in api.get("/choices").json()["authenticator_types"]]
    assert offered == sorted(schemas)

    with live_server.client(authenticated=False) as anonymous:
        assert_problem(anonymous.get(BASE), 401)
        assert_problem(anonymous.get(f"{BASE}/schemas"), 401)


def test_create_show_update_delete(api: httpx.Client, bind_server: BindServer) -> None:
    created = api.post(BASE, json=_bind_body(bind_server))
    assert created.status_code == 201, created.text
    body = created.json()
    auth_id = body["id"]
    assert body["type"] == "rfc2136" and body["secrets_set"] == ["key_secret"]
    assert "key_secret" not in body["attributes"]
    assert bind_server.tsig_secret not in created.text

    listed = api.get(BASE)
    assert [a["name"] for a in listed.json()] == ["bind"]
    assert bind_server.tsig_secret not in listed.text
    assert api.get(f"{BASE}/{auth_id}").json() == body

    # A rename and a new port; the secret is left out and stays.
    patched = api.patch(f"{BASE}/{auth_id}", json={"name": "primary", "attributes": {"port": 53}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "primary"
    assert patched.json()["attributes"]["port"] == 53
    assert patched.json()["secrets_set"] == ["key_secret"]
    api.patch(f"{BASE}/{auth_id}", json={"attributes": {"port": bind_server.port}})
    tested = api.post(f"{BASE}/{auth_id}/test", json={"domain": "kept.certdesk.test"})
    assert tested.json()["ok"] is True, tested.text

    problem = assert_problem(api.patch(f"{BASE}/{auth_id}", json={"type": "shell"}), 422)
    assert problem["errors"] == [
        {
            "field": "type",
            "message": "Authenticator type cannot be changed: create a new authenticator instead.",
        }
    ]

    assert api.delete(f"{BASE}/{auth_id}").status_code == 204
    assert_problem(api.get(f"{BASE}/{auth_id}"), 404)
    assert_problem(api.delete(f"{BASE}/{auth_id}"), 404)
    assert_problem(api.post(f"{BASE}/{auth_id}/test", json={"domain": "x.certdesk.test"}), 404)


def test_bad_input_is_a_problem_with_every_field(api: httpx.Client) -> None:
    problem = assert_problem(
        api.post(
            BASE, json={"name": "", "type": "rfc2136", "attributes": {"port": 0, "extra": "x"}}
        ),
        422,
    )
    assert fields(problem) == {
        "name",
        "attributes.server",
        "attributes.port",
        "attributes.key_name",
        "attributes.key_secret",
        "attributes.extra",
    }

    problem = assert_problem(api.post(BASE, json={"name": "x", "type": "nope"}), 422)
    assert fields(problem) == {"type"}
    problem = assert_problem(api.post(BASE, json={"type": "rfc2136", "bogus": 1}), 422)
    assert fields(problem) == {"name", "bogus"}
    assert_problem(api.post(BASE, content=b"{", headers={"content-type": "application/json"}), 400)
    assert_problem(api.get(f"{BASE}/0"), 422)

    body = {"name": "cf", "type": "cloudflare", "attributes": {"api_token": "t0ken"}}
    assert api.post(BASE, json=body).status_code == 201
    taken = assert_problem(api.post(BASE, json=body), 409)
    assert fields(taken) == {"name"}


def test_delete_in_use_needs_force(api: httpx.Client, live_server: LiveServer) -> None:
    body = {"name": "cf", "type": "cloudflare", "attributes": {"api_token": "t0ken"}}
    auth_id = api.post(BASE, json=body).json()["id"]
    now = datetime.now(UTC)
    with live_server.ctx.db.session() as session:
        session.add(
            CertificateRow(
                name="shop",
                chain_pem="-",
                private_key_enc=live_server.ctx.box.encrypt(b"-"),
                csr_pem="-",
                acme_directory="https://acme.invalid/directory",
                domains_authenticators={"shop.example.com": auth_id},
                not_before=now,
                not_after=now + timedelta(days=90),
                serial="01",
                issuer="CN=test",
                created_at=now,
                updated_at=now,
            )
        )

    problem = assert_problem(api.delete(f"{BASE}/{auth_id}"), 409)
    assert "shop" in problem["detail"]
    assert api.delete(f"{BASE}/{auth_id}", params={"force": "true"}).status_code == 204
    assert api.get(BASE).json() == []


def test_the_test_action_reports_each_nameserver(
    api: httpx.Client, bind_server: BindServer
) -> None:
    auth_id = api.post(BASE, json=_bind_body(bind_server)).json()["id"]
    response = api.post(f"{BASE}/{auth_id}/test", json={"domain": "api-test.certdesk.test"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["ok"] is True and result["error"] is None
    assert result["nameservers"] == [{"address": bind_server.address, "seen": True}]
    assert 0 < result["seconds"] < 10
    assert bind_server.query_txt("_acme-challenge.api-test.certdesk.test.") == []

    problem = assert_problem(api.post(f"{BASE}/{auth_id}/test", json={"domain": "a b"}), 422)
    assert fields(problem) == {"domain"}
    wrong = _bind_body(bind_server, "wrong", key_secret="d3Jvbmctc2VjcmV0LXZhbHVl")
    wrong_id = api.post(BASE, json=wrong).json()["id"]
    failed = api.post(f"{BASE}/{wrong_id}/test", json={"domain": "api-test.certdesk.test"})
    assert failed.status_code == 200
    assert failed.json()["ok"] is False
    assert "TSIG" in failed.json()["error"]
