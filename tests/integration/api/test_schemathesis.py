"""schemathesis against our own OpenAPI document, authenticated, over every operation of a live
server: positive and negative (schema-breaking) inputs, no 5xx, status codes and content types
as documented, every response valid against its schema, and no private key outside the key
download. Bounded to MAX_EXAMPLES per operation so the run takes about a minute."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from certdesk.app import create_app
from certdesk.settings import Settings
from tests.fixtures.live_server import LiveServer, live_settings, run_live_server
from tests.integration.api.helpers import ec_create_body

MAX_EXAMPLES = 30
KEY_DOWNLOADS = ("/private-key",)
#: A PEM private key block: the header, then base64 (help texts may name the header alone).
PEM_PRIVATE_BLOCK = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----(\\n|\s)+[A-Za-z0-9+/]{16}")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = tmp_path_factory.mktemp("fuzz")
    settings = live_settings(
        f"sqlite:///{base / 'db.sqlite'}", base / "data", login_attempts_per_minute=1000
    )
    with run_live_server(settings) as server:
        with server.client() as api:  # something to find for the id-taking operations
            for name in ("one", "two", "three"):
                assert api.post("/csrs", json=ec_create_body(name)).status_code == 201
        yield server


def _openapi_document() -> dict[str, object]:
    """Our OpenAPI document, straight from the app factory (no server needed to build it)."""
    with tempfile.TemporaryDirectory() as data_dir:
        return create_app(Settings(data_dir=Path(data_dir))).openapi()


schema = schemathesis.openapi.from_dict(_openapi_document())


@schemathesis.check
def no_private_key_outside_downloads(ctx, response, case):  # type: ignore[no-untyped-def]
    if case.path.endswith(KEY_DOWNLOADS):
        return None
    assert not PEM_PRIVATE_BLOCK.search(response.content), "a private key in a response"
    return None


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_api_conforms_to_its_openapi(case: schemathesis.Case, fuzz_server: LiveServer) -> None:
    if case.method == "DELETE" and case.path == "/api/v1/tokens/{token_id}":
        # Revoking the token the fuzzer itself uses would turn the rest of the run into 401s.
        params = case.path_parameters or {}
        if str(params.get("token_id")) == str(fuzz_server.token_id):
            params["token_id"] = 2**31 - 1
    case.call_and_validate(
        base_url=fuzz_server.base_url,
        headers={"Authorization": f"Bearer {fuzz_server.token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            no_private_key_outside_downloads,
        ],
        timeout=60,
    )


def test_the_fuzzer_did_not_lock_itself_out(fuzz_server: LiveServer) -> None:
    with fuzz_server.client() as api:
        assert api.get("/csrs").status_code == 200
    assert httpx.get(fuzz_server.api + "/health").status_code == 200


def test_module_is_bounded() -> None:
    assert MAX_EXAMPLES <= 50
    assert Path(__file__).name.startswith("test_")
