"""Reading what an ACME server sends, without a server: orders into DNS-01 tasks, problem
documents into ``ACMEProblem``, ARI CertIDs and windows, Retry-After, issued chains."""

from __future__ import annotations

import datetime
import hashlib
from datetime import UTC, timedelta
from email.utils import format_datetime
from typing import Any

import josepy as jose
import pytest
import requests
from acme import errors as acme_errors
from acme import messages
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certdesk.acme.account import AccountKey
from certdesk.acme.certificate import issued_certificate
from certdesk.acme.network import RetryPolicy, check_ca_bundle, retry_after_seconds
from certdesk.acme.order import order_from_resource
from certdesk.acme.problems import error_for, failed_authorizations_problem, problem_from_error
from certdesk.acme.renewal import DEFAULT_RETRY_AFTER, certificate_id, renewal_info_from_json
from certdesk.errors import ACMEError, ACMEProblem

NOW = datetime.datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PEM = serialization.Encoding.PEM


def _authz(identifier: str, status: str, *challenges: dict[str, Any], wildcard: bool = False):  # type: ignore[no-untyped-def]
    body: dict[str, Any] = {
        "identifier": {"type": "dns", "value": identifier},
        "status": status,
        "challenges": list(challenges),
    }
    if wildcard:
        body["wildcard"] = True
    return messages.AuthorizationResource(
        body=messages.Authorization.from_json(body), uri=f"https://ca.example/authz/{identifier}"
    )


def _challenge(kind: str, token: str = "tok_" + "A" * 40) -> dict[str, Any]:
    return {
        "type": kind,
        "url": f"https://ca.example/chall/{kind}",
        "token": token,
        "status": "pending",
    }


def _order(*authzrs: messages.AuthorizationResource) -> messages.OrderResource:
    body = messages.Order.from_json(
        {
            "status": "pending",
            "identifiers": [{"type": "dns", "value": a.body.identifier.value} for a in authzrs],
            "authorizations": [a.uri for a in authzrs],
            "finalize": "https://ca.example/finalize/1",
            "expires": "2026-12-04T12:00:00Z",
        }
    )
    return messages.OrderResource(
        body=body, uri="https://ca.example/order/1", authorizations=authzrs, csr_pem=b""
    )


def test_pending_authorizations_become_dns_tasks_with_the_key_authorization_digest() -> None:
    key = AccountKey.generate()
    token = "tok_" + "B" * 40
    orderr = _order(
        _authz("example.org", "pending", _challenge("http-01"), _challenge("dns-01", token)),
        _authz("example.org", "pending", _challenge("dns-01"), wildcard=True),
        _authz("www.example.org", "valid", _challenge("dns-01")),
    )
    order = order_from_resource(orderr, key.jwk)

    assert order.url == "https://ca.example/order/1"
    assert order.already_valid == ("www.example.org",)
    assert order.expires == datetime.datetime(2026, 12, 4, 12, tzinfo=UTC)
    plain, wild = order.authorizations
    assert (plain.domain, plain.wildcard, plain.label) == ("example.org", False, "example.org")
    assert (wild.domain, wild.wildcard, wild.label) == ("example.org", True, "*.example.org")
    assert plain.fqdn == wild.fqdn == "_acme-challenge.example.org."
    assert plain.challenge_url == "https://ca.example/chall/dns-01"
    key_authorization = f"{token}.{key.thumbprint}".encode()
    expected = jose.b64encode(hashlib.sha256(key_authorization).digest()).decode()
    assert plain.value == expected


def test_an_authorization_without_dns01_is_an_error_naming_the_domain() -> None:
    orderr = _order(
        _authz("example.org", "pending", _challenge("http-01"), _challenge("tls-alpn-01"))
    )
    with pytest.raises(ACMEError) as caught:
        order_from_resource(orderr, AccountKey.generate().jwk)
    assert "example.org" in caught.value.message
    assert "http-01, tls-alpn-01" in caught.value.message


def test_a_dead_authorization_asks_for_a_new_order() -> None:
    orderr = _order(_authz("example.org", "deactivated", _challenge("dns-01")))
    with pytest.raises(ACMEError, match="deactivated; place a new order"):
        order_from_resource(orderr, AccountKey.generate().jwk)


def test_problem_documents_are_kept_whole() -> None:
    error = messages.Error.from_json(
        {
            "type": "urn:ietf:params:acme:error:rejectedIdentifier",
            "detail": "Some identifiers were rejected",
            "subproblems": [
                {
                    "type": "urn:ietf:params:acme:error:malformed",
                    "detail": "Invalid underscore in DNS name",
                    "identifier": {"type": "dns", "value": "_example.org"},
                }
            ],
        }
    )
    problem = problem_from_error(error, status=400)
    assert problem == ACMEProblem(
        type="urn:ietf:params:acme:error:rejectedIdentifier",
        detail="Some identifiers were rejected",
        status=400,
        identifier=None,
        subproblems=(
            ACMEProblem(
                type="urn:ietf:params:acme:error:malformed",
                detail="Invalid underscore in DNS name",
                identifier="_example.org",
            ),
        ),
    )
    mapped = error_for("Placing a new order", error, status=400)
    assert mapped.problem == problem
    assert mapped.message == (
        "Placing a new order failed: Some identifiers were rejected (rejectedIdentifier); "
        "_example.org: Invalid underscore in DNS name (malformed)"
    )


def test_several_failed_authorizations_make_one_compound_problem() -> None:
    bad = ACMEProblem(type="urn:ietf:params:acme:error:unauthorized", detail="wrong value")
    problem = failed_authorizations_problem([("a.example.org", bad), ("b.example.org", None)])
    assert problem.type == "urn:ietf:params:acme:error:compound"
    assert [(p.identifier, p.detail) for p in problem.subproblems] == [
        ("a.example.org", "wrong value"),
        ("b.example.org", "the CA marked the authorization invalid"),
    ]
    single = failed_authorizations_problem([("a.example.org", bad)])
    assert (single.identifier, single.detail) == ("a.example.org", "wrong value")


def test_library_validation_errors_map_to_the_failed_identifiers() -> None:
    challenge = {
        **_challenge("dns-01"),
        "status": "invalid",
        "error": {"type": "urn:ietf:params:acme:error:dns", "detail": "NXDOMAIN"},
    }
    exc = acme_errors.ValidationError([_authz("example.org", "invalid", challenge)])
    mapped = error_for("Validating", exc)
    assert mapped.problem == ACMEProblem(
        type="urn:ietf:params:acme:error:dns", detail="NXDOMAIN", identifier="example.org"
    )
    assert "example.org: NXDOMAIN (dns)" in mapped.message


def test_connection_failures_name_the_host_only() -> None:
    exc = requests.exceptions.ConnectionError(
        request=requests.Request("GET", "https://ca.example:8443/dir?x=1").prepare()
    )
    mapped = error_for("Fetching the ACME directory", exc)
    assert "could not connect to ca.example:8443" in mapped.message
    assert mapped.problem is None


def _response(headers: dict[str, str]) -> requests.Response:
    response = requests.Response()
    response.headers.update(headers)
    return response


def test_retry_after_is_read_in_seconds_and_as_an_http_date() -> None:
    assert retry_after_seconds(_response({"Retry-After": "120"}), NOW) == 120.0
    later = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(_response({"Retry-After": later}), NOW) == 90.0
    past = format_datetime(NOW - timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(_response({"Retry-After": past}), NOW) == 0.0
    assert retry_after_seconds(_response({"Retry-After": "soon"}), NOW) is None
    assert retry_after_seconds(_response({}), NOW) is None
    assert retry_after_seconds(None, NOW) is None


def test_backoff_doubles_up_to_its_cap() -> None:
    policy = RetryPolicy(base_delay=0.25, max_delay=1.0)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.25, 0.5, 1.0, 1.0, 1.0]


def test_ca_bundle_must_hold_certificates() -> None:
    assert check_ca_bundle("junk")[0].field == "ca_bundle"
    assert check_ca_bundle(_self_signed()[0].public_bytes(PEM).decode()) == []


def _self_signed(
    serial: int = 0x87654321, aki: bytes | None = None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example.org")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=89))
    )
    if aki is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier(aki, None, None), False)
    return builder.sign(key, hashes.SHA256()), key


def test_ari_certificate_id_matches_rfc_9773() -> None:
    aki = bytes.fromhex("69885B6B87464041E1B37B847BA0AE2CDE01C8D4")
    cert, _ = _self_signed(serial=0x87654321, aki=aki)
    assert certificate_id(cert) == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"
    without, _ = _self_signed()
    with pytest.raises(ValueError, match="Authority Key Identifier"):
        certificate_id(without)


def test_ari_window_times_are_utc_and_retry_after_defaults_to_six_hours() -> None:
    body = (
        b'{"suggestedWindow": {"start": "2026-12-01T00:00:00", "end": "2026-12-02T00:00:00+02:00"}}'
    )
    info = renewal_info_from_json(body, None, NOW)
    assert info.window_start == datetime.datetime(2026, 12, 1, tzinfo=UTC)
    assert info.window_end == datetime.datetime(2026, 12, 1, 22, tzinfo=UTC)
    assert info.explanation_url is None
    assert info.retry_after == NOW + DEFAULT_RETRY_AFTER
    with pytest.raises(ACMEError, match="not a valid suggestedWindow"):
        renewal_info_from_json(b'{"suggestedWindow": {}}', None, NOW)


def _csr_for(key: ec.EllipticCurvePrivateKey) -> bytes:
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example.org")]))
        .sign(key, hashes.SHA256())
        .public_bytes(PEM)
    )


def test_issued_chain_is_parsed_and_checked_against_the_csr() -> None:
    leaf, key = _self_signed(serial=0xABC)
    issuer, _ = _self_signed()
    chain = (leaf.public_bytes(PEM) + b"\n" + issuer.public_bytes(PEM)).decode()
    issued = issued_certificate(chain, _csr_for(key), "https://ca.example/order/1")
    assert issued.leaf_pem == leaf.public_bytes(PEM)
    assert issued.intermediates_pem == issuer.public_bytes(PEM)
    assert (issued.serial, issued.serial_hex) == (0xABC, "abc")
    assert issued.not_after == NOW + timedelta(days=89)
    assert issued.issuer == "CN=example.org"

    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ACMEError, match="public key is not the CSR's"):
        issued_certificate(chain, _csr_for(other), "https://ca.example/order/1")
    with pytest.raises(ACMEError, match="not a PEM certificate chain"):
        issued_certificate("<html>", _csr_for(key), "https://ca.example/order/1")
