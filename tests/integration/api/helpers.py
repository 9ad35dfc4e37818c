"""Small helpers shared by the API tests: request bodies and problem+json checks."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_TYPE = "application/problem+json"


def ec_create_body(name: str, **extra: Any) -> dict[str, Any]:
    """A request body creating a P-256 CSR."""
    body: dict[str, Any] = {
        "name": name,
        "create_type": "CERTIFICATE_CREATE_CSR",
        "key_type": "EC",
        "ec_curve": "SECP256R1",
        "digest_algorithm": "SHA256",
        "common": f"{name}.example.com",
        "san": [f"DNS:{name}.example.com", f"DNS:www.{name}.example.com"],
    }
    body.update(extra)
    return body


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Check that ``response`` is a problem+json document with ``status``; return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_TYPE), response.headers
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"] and problem["detail"] and problem["type"]
    assert isinstance(problem["errors"], list)
    for error in problem["errors"]:
        assert set(error) == {"field", "message"}
    return problem


def fields(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem["errors"]}
