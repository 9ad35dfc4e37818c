"""Bad input of every shape gets a 4xx problem+json, never a 500, and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.live_server import LiveServer
from tests.integration.api.helpers import assert_problem, ec_create_body, fields


@pytest.fixture
def api(shared_live_server: LiveServer) -> Iterator[httpx.Client]:
    """A client of the module's server; afterwards, checks that the test stored no CSR."""
    with shared_live_server.client() as client:
        before = _total(client)
        yield client
        assert _total(client) == before, "a refused request stored something"


def _total(api: httpx.Client) -> int:
    return int(api.get("/csrs", params={"limit": 1}).json()["total"])


def _raw(api: httpx.Client, body: bytes, content_type: str = "application/json") -> httpx.Response:
    return api.post("/csrs", content=body, headers={"Content-Type": content_type})


def test_broken_json_is_400(api: httpx.Client) -> None:
    problem = assert_problem(_raw(api, b'{"name": "a",'), 400)
    assert "JSON" in problem["detail"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "\\ud800", "create_type": "CERTIFICATE_CREATE_CSR"}',  # lone surrogate
        b'{"name": "a\\udfffb", "create_type": "CERTIFICATE_CREATE_CSR"}',
        b'{"name": "\xff\xfe\x00", "create_type": "CERTIFICATE_CREATE_CSR"}',  # not UTF-8
        b"\x00\x01\x02\x03\xff" * 100,  # binary
        b'{"key_length": NaN, "name": "x", "create_type": "CERTIFICATE_CREATE_CSR"}',
    ],
    ids=["surrogate", "surrogate-inside", "bad-utf8", "binary", "nan"],
)
def test_unusable_bodies_are_400(api: httpx.Client, body: bytes) -> None:
    assert_problem(_raw(api, body), 400)


def test_binary_body_without_json_content_type_is_4xx(api: httpx.Client) -> None:
    response = _raw(api, bytes(range(256)), "application/octet-stream")
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


def test_every_field_error_at_once_with_dotted_paths(api: httpx.Client) -> None:
    body = ec_create_body(
        "x",
        key_length="long",
        san="not a list",
        cert_extensions={"KeyUsage": {"key_cert_sign": "perhaps"}, "Bogus": {}},
        common=None,
    )
    problem = assert_problem(api.post("/csrs", json=body), 422)
    assert {
        "key_length",
        "san",
        "cert_extensions.KeyUsage.key_cert_sign",
        "cert_extensions.Bogus",
    } <= fields(problem)
    assert not any(f.startswith("body") or "CERTIFICATE_" in f for f in fields(problem))


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "a string",
        42,
        {"create_type": None},
        {"create_type": "NOPE", "name": "x"},
        {"name": None, "create_type": "CERTIFICATE_CREATE_CSR"},
        {"name": ["x"], "create_type": "CERTIFICATE_CREATE_CSR", "san": [None, 1, {"a": 1}]},
        {"name": "x" * 500_000, "create_type": "CERTIFICATE_CREATE_CSR"},
        {"name": "x", "create_type": "CERTIFICATE_CREATE_IMPORTED_CSR", "CSR": 1, "privatekey": []},
        {"name": "x", "create_type": "CERTIFICATE_CREATE_CSR", "key_length": 10**400},
    ],
)
def test_wrong_shapes_are_422(api: httpx.Client, body: object) -> None:
    response = api.post(
        "/csrs", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert problem["errors"], problem


def test_create_type_names_the_field(api: httpx.Client) -> None:
    problem = assert_problem(api.post("/csrs", json={"name": "x"}), 422)
    assert "create_type" in fields(problem)


@pytest.mark.parametrize(
    "path",
    [
        "/csrs/0",
        "/csrs/-1",
        "/csrs/abc",
        "/csrs/99999999999999999999999",
        "/csrs?limit=0",
        "/csrs?limit=100000",
        "/csrs?offset=-1",
        "/csrs?offset=99999999999999999999",
        "/audit?limit=x",
        "/csrs?search=" + "a" * 1000,
    ],
)
def test_bad_paths_and_queries_are_422(api: httpx.Client, path: str) -> None:
    assert_problem(api.get(path), 422)


def test_unknown_id_is_404(api: httpx.Client) -> None:
    for path in (
        "/csrs/12345",
        "/csrs/12345/csr",
        "/csrs/12345/private-key",
        "/csrs/12345/domains",
    ):
        problem = assert_problem(api.get(path), 404)
        assert "12345" in problem["detail"]
    assert_problem(api.patch("/csrs/12345", json={"name": "n"}), 404)
    assert_problem(api.delete("/csrs/12345"), 404)


def test_body_over_one_mebibyte_is_413(api: httpx.Client) -> None:
    big = json.dumps(ec_create_body("big", common="x" * (1024 * 1024))).encode()
    problem = assert_problem(_raw(api, big), 413)
    assert "1048576" in problem["detail"] or "large" in problem["detail"].lower()

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"name": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}'

    response = api.post("/csrs", content=chunks(), headers={"Content-Type": "application/json"})
    assert_problem(response, 413)


def test_a_body_just_under_the_limit_is_read(api: httpx.Client) -> None:
    body = json.dumps(ec_create_body("edge", common="x" * (1024 * 1024 - 400))).encode()
    assert len(body) < 1024 * 1024
    assert_problem(_raw(api, body), 422)


def test_name_taken_is_409(shared_live_server: LiveServer) -> None:
    api = shared_live_server.client()
    before = _total(api)
    assert api.post("/csrs", json=ec_create_body("dup")).status_code == 201
    problem = assert_problem(api.post("/csrs", json=ec_create_body("dup")), 409)
    assert "dup" in problem["detail"]
    assert fields(problem) == {"name"}
    other = api.post("/csrs", json=ec_create_body("other")).json()
    assert_problem(api.patch(f"/csrs/{other['id']}", json={"name": "dup"}), 409)
    assert _total(api) == before + 2
    api.close()
