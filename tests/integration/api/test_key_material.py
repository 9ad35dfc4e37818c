"""No response may carry key material: a walk over every response schema of the OpenAPI
document, and a look at real responses of a server holding created and imported keys."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import httpx

from certdesk.app import create_app
from certdesk.settings import Settings
from tests.fixtures.live_server import LiveServer
from tests.integration.api.helpers import ec_create_body

SUSPICIOUS = re.compile(r"private|key|secret|password|passphrase|token|credential", re.IGNORECASE)

#: (schema, field) pairs whose names look suspicious but carry no key material, and why.
ALLOWED: dict[tuple[str, str], str] = {
    ("CSRSummary", "key_type"): "RSA or EC",
    ("CSRSummary", "key_length"): "a number of bits",
    ("CSRDetails", "key_type"): "RSA or EC",
    ("CSRDetails", "key_length"): "a number of bits",
    ("CSRDetails", "privatekey_path"): "where the key file is, not the key",
    ("CertificateDetails", "privatekey_path"): "where the key file is, not the key",
    ("CertificateDetails", "new_key_on_renewal"): "a yes/no setting, not a key",
    ("AuthenticatorOut", "secrets_set"): "names of the secret attributes that are set, no values",
    ("ProfileOut", "key_type"): "RSA or EC",
    ("ProfileOut", "key_length"): "a number of bits",
    ("ChoicesOut", "key_types"): "the list of key types",
    ("ChoicesOut", "key_lengths"): "the list of key sizes",
    ("ChoicesOut", "key_usages"): "KeyUsage flag names",
    ("ChoicesOut", "extended_key_usages"): "EKU names",
    ("CertExtensionsIn", "AuthorityKeyIdentifier"): "an extension switch",
    ("CertExtensionsIn", "ExtendedKeyUsage"): "an extension switch",
    ("CertExtensionsIn", "KeyUsage"): "an extension switch",
    ("KeyUsageIn", "key_encipherment"): "a KeyUsage flag",
    ("KeyUsageIn", "key_agreement"): "a KeyUsage flag",
    ("KeyUsageIn", "key_cert_sign"): "a KeyUsage flag",
    ("LoginOut", "csrf_token"): "the CSRF token of the caller's own session, needed by the UI",
    ("TokenCreated", "token"): "a new API token, shown once to its creator by design",
}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return name, spec["components"]["schemas"][name]
    return None, schema


def _walk(
    spec: dict[str, Any],
    schema: dict[str, Any],
    owner: str,
    seen: set[str],
    found: list[tuple[str, str]],
) -> None:
    name, schema = _resolve(spec, schema)
    if name is not None:
        if name in seen:
            return
        seen.add(name)
        owner = name
    for prop, sub in schema.get("properties", {}).items():
        found.append((owner, prop))
        _walk(spec, sub, owner, seen, found)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _walk(spec, schema[key], owner, seen, found)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            _walk(spec, sub, owner, seen, found)


def response_fields(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (schema, property) reachable from any response of any operation."""
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in spec["paths"].values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    if "schema" in media:
                        _walk(spec, media["schema"], "<inline>", seen, found)
    return found


def test_no_response_model_has_a_field_for_key_material(tmp_path: Path) -> None:
    spec = create_app(Settings(data_dir=tmp_path)).openapi()
    found = response_fields(spec)
    assert ("CSRDetails", "fingerprint_sha256") in found  # the walk reaches the models
    assert ("AuditEventOut", "actor") in found
    suspicious = {f for f in found if SUSPICIOUS.search(f[1])}
    unexplained = suspicious - set(ALLOWED)
    assert not unexplained, f"response fields that could carry key material: {unexplained}"


def test_the_walk_catches_a_key_field() -> None:
    spec = {
        "paths": {
            "/x": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Leaky"}
                                }
                            }
                        }
                    }
                }
            }
        },
        "components": {
            "schemas": {
                "Leaky": {"properties": {"inner": {"items": {"$ref": "#/components/schemas/In"}}}},
                "In": {"properties": {"private_key_pem": {"type": "string"}}},
            }
        },
    }
    fields = response_fields(spec)
    assert ("In", "private_key_pem") in fields
    assert SUSPICIOUS.search("private_key_pem")


PEM_PRIVATE = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----")


def test_real_responses_carry_no_private_key(live_server: LiveServer, tmp_path: Path) -> None:
    key_path, csr_path = tmp_path / "key.pem", tmp_path / "req.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(key_path),
            "-out",
            str(csr_path),
            "-subj",
            "/CN=imp.example.com",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    with live_server.client() as api:
        made = api.post("/csrs", json=ec_create_body("made")).json()
        imported = api.post(
            "/csrs",
            json={
                "name": "imp",
                "create_type": "CERTIFICATE_CREATE_IMPORTED_CSR",
                "CSR": csr_path.read_text(),
                "privatekey": key_path.read_text(),
            },
        )
        assert imported.status_code == 201, imported.text
        ids = [made["id"], imported.json()["id"]]
        # The key download is the one place a private key may appear.
        assert PEM_PRIVATE.search(api.get(f"/csrs/{ids[0]}/private-key").content)
        paths = ["/csrs", "/csrs?search=imp", "/choices", "/audit", "/tokens"]
        for i in ids:
            paths += [f"/csrs/{i}", f"/csrs/{i}/csr", f"/csrs/{i}/domains"]
        bodies = [api.get(p) for p in paths]
        bodies.append(api.patch(f"/csrs/{ids[1]}", json={"name": "imp2"}))
        bodies.append(api.post("/tokens", json={"name": "t"}))
        for response in bodies:
            assert response.status_code < 300, (response.url, response.text)
            assert not PEM_PRIVATE.search(response.content), response.url
            assert b"PRIVATE" not in response.content, response.url
        key_text = key_path.read_bytes().split(b"\n")[1]
        assert all(key_text not in r.content for r in bodies)
        assert httpx.get(live_server.api + "/health").status_code == 200
