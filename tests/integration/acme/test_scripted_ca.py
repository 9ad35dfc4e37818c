"""The ACME client's retry policy, error mapping and ARI against a scripted HTTPS server:
badNonce runs, 5xx pages, Retry-After, rate limits, odd directories and renewal information."""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certdesk.acme.account import AccountKey
from certdesk.acme.client import ACMEClient
from certdesk.acme.network import RetryingNetwork, RetryPolicy
from certdesk.acme.renewal import certificate_id
from certdesk.errors import ACMEError, InvalidInput
from tests.integration.acme.scripted_ca import Reply, ScriptedCA

ACCOUNT_CREATED = Reply(201, {"status": "valid", "contact": []})


def created(ca: ScriptedCA) -> Reply:
    return Reply(ACCOUNT_CREATED.status, ACCOUNT_CREATED.body, {"Location": ca.url("/acct/1")})


def connect(ca: ScriptedCA, **kwargs: object) -> ACMEClient:
    return ACMEClient.connect(ca.directory_url, ca_bundle=ca.ca_pem, **kwargs)  # type: ignore[arg-type]


def test_bad_nonce_runs_are_retried_with_fresh_nonces(scripted_ca: ScriptedCA) -> None:
    bad = Reply.problem(400, "badNonce", "JWS has an invalid anti-replay nonce")
    scripted_ca.script("POST", "/new-acct", bad, bad, bad, bad, bad, created(scripted_ca))
    client = connect(scripted_ca)
    account = client.register(AccountKey.generate(), tos_agreed=True)

    assert account.account_url == scripted_ca.url("/acct/1")
    posts = scripted_ca.requests_to("POST", "/new-acct")
    assert len(posts) == 6
    nonces = [post.jws_protected()["nonce"] for post in posts]
    assert len(set(nonces)) == 6
    assert client.retries == 5
    assert len(scripted_ca.requests_to("HEAD", "/new-nonce")) == 1  # error answers' nonces used
    assert posts[-1].jws_payload()["termsOfServiceAgreed"] is True


def test_endless_bad_nonces_end_with_the_problem_after_the_attempts(
    scripted_ca: ScriptedCA,
) -> None:
    scripted_ca.script("POST", "/new-acct", Reply.problem(400, "badNonce", "bad nonce"))
    policy = RetryPolicy(attempts=5)
    with pytest.raises(ACMEError) as caught:
        connect(scripted_ca, retry=policy).register(AccountKey.generate(), tos_agreed=True)
    assert caught.value.problem is not None
    assert caught.value.problem.type == "urn:ietf:params:acme:error:badNonce"
    assert caught.value.problem.status == 400
    assert len(scripted_ca.requests_to("POST", "/new-acct")) == 5


def test_server_errors_are_retried_with_growing_backoff(scripted_ca: ScriptedCA) -> None:
    scripted_ca.script(
        "GET",
        "/dir",
        Reply(500, "<html>oops</html>"),
        Reply.problem(503, "serverInternal", "try again"),
        Reply(200, scripted_ca.directory()),
    )
    waits: list[float] = []
    net = RetryingNetwork(
        ca_bundle=scripted_ca.ca_pem,
        timeout=5,
        user_agent="test",
        policy=RetryPolicy(base_delay=0.01),
        sleep=waits.append,
    )
    response = net.get(scripted_ca.directory_url)
    assert response.json()["newOrder"] == scripted_ca.url("/new-order")
    assert waits == [0.01, 0.02]
    assert net.retries == 2


def test_retry_after_is_waited_for_when_it_is_short(scripted_ca: ScriptedCA) -> None:
    scripted_ca.script(
        "GET",
        "/dir",
        Reply(503, "<html>maintenance</html>", {"Retry-After": "2"}),
        Reply(200, scripted_ca.directory()),
    )
    waits: list[float] = []
    net = RetryingNetwork(
        ca_bundle=scripted_ca.ca_pem,
        timeout=5,
        user_agent="test",
        policy=RetryPolicy(),
        sleep=waits.append,
    )
    net.get(scripted_ca.directory_url)
    assert waits == [2.0]


def test_transient_failures_give_up_after_their_attempts(scripted_ca: ScriptedCA) -> None:
    scripted_ca.script("GET", "/dir", Reply(502, "<html>bad gateway</html>"))
    with pytest.raises(ACMEError) as caught:
        connect(scripted_ca, retry=RetryPolicy(base_delay=0.001, transient_attempts=3))
    assert "HTTP 502" in caught.value.message
    assert caught.value.message.startswith("Fetching the ACME directory")
    assert len(scripted_ca.requests_to("GET", "/dir")) == 3


def test_a_long_rate_limit_fails_at_once_with_its_retry_after(scripted_ca: ScriptedCA) -> None:
    scripted_ca.script("POST", "/new-acct", created(scripted_ca))
    scripted_ca.script(
        "POST",
        "/new-order",
        Reply.problem(429, "rateLimited", "too many new orders", **{"Retry-After": "3600"}),
    )
    client = connect(scripted_ca)
    client.register(AccountKey.generate(), tos_agreed=True)
    with pytest.raises(ACMEError) as caught:
        client.new_order(_csr("example.org"))
    problem = caught.value.problem
    assert problem is not None
    assert (problem.type, problem.status) == ("urn:ietf:params:acme:error:rateLimited", 429)
    assert "too many new orders" in caught.value.message
    assert "retry after 3600 s" in caught.value.message
    assert len(scripted_ca.requests_to("POST", "/new-order")) == 1


def test_a_refusal_is_not_retried(scripted_ca: ScriptedCA) -> None:
    scripted_ca.script("POST", "/new-acct", Reply.problem(400, "invalidContact", "no such domain"))
    with pytest.raises(ACMEError) as caught:
        connect(scripted_ca).register(
            AccountKey.generate(), tos_agreed=True, contact_email="a@example.org"
        )
    assert caught.value.problem is not None
    assert caught.value.problem.detail == "no such domain"
    assert len(scripted_ca.requests_to("POST", "/new-acct")) == 1


def test_an_answer_that_is_not_a_directory_is_named(scripted_ca: ScriptedCA) -> None:
    scripted_ca.script("GET", "/dir", Reply(200, {"hello": "world"}))
    with pytest.raises(ACMEError) as caught:
        connect(scripted_ca)
    assert "not an ACME directory" in caught.value.message
    assert "newAccount" in caught.value.message


@pytest.mark.parametrize("body", [["a", "list"], "<html>not json</html>"])
def test_an_unreadable_directory_is_an_acme_error(scripted_ca: ScriptedCA, body: object) -> None:
    scripted_ca.script("GET", "/dir", Reply(200, body))
    with pytest.raises(ACMEError) as caught:
        connect(scripted_ca)
    assert caught.value.message.startswith(
        f"Fetching the ACME directory {scripted_ca.directory_url}"
    )


def test_tls_is_verified_without_the_bundle(scripted_ca: ScriptedCA) -> None:
    with pytest.raises(ACMEError) as caught:
        ACMEClient.connect(scripted_ca.directory_url)
    assert "could not be verified" in caught.value.message
    assert "CA bundle" in caught.value.message
    assert scripted_ca.requests == []


def test_bad_uri_and_bundle_are_refused_before_any_request(scripted_ca: ScriptedCA) -> None:
    with pytest.raises(InvalidInput) as caught:
        ACMEClient.connect("http://user:secret@127.0.0.1/dir", ca_bundle="not a certificate")
    fields = [error.field for error in caught.value.errors]
    assert fields.count("acme_directory_uri") == 2
    assert "ca_bundle" in fields
    assert all("secret" not in error.message for error in caught.value.errors)
    assert scripted_ca.requests == []


def test_terms_of_service_absent_means_no_agreement_needed(scripted_ca: ScriptedCA) -> None:
    directory = scripted_ca.directory(meta={})
    scripted_ca.script("GET", "/dir", Reply(200, directory))
    scripted_ca.script("POST", "/new-acct", created(scripted_ca))
    client = connect(scripted_ca)
    assert client.terms_of_service() is None
    account = client.register(AccountKey.generate(), tos_agreed=False)
    assert account.tos_url is None
    assert (
        "termsOfServiceAgreed" not in scripted_ca.requests_to("POST", "/new-acct")[0].jws_payload()
    )


def _csr(name: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )


def _certificate(days_left: float) -> bytes:
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example.org")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x87654321)
        .not_valid_before(now - timedelta(days=30))
        .not_valid_after(now + timedelta(days=days_left))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
        .sign(issuer_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def _ari_client(scripted_ca: ScriptedCA) -> ACMEClient:
    directory = scripted_ca.directory(renewalInfo=scripted_ca.url("/renewal-info"))
    scripted_ca.script("GET", "/dir", Reply(200, directory))
    return connect(scripted_ca)


def test_renewal_info_reads_the_window_and_retry_after(scripted_ca: ScriptedCA) -> None:
    client = _ari_client(scripted_ca)
    cert_pem = _certificate(days_left=60)
    path = "/renewal-info/" + certificate_id(x509.load_pem_x509_certificate(cert_pem))
    body = {
        "suggestedWindow": {"start": "2026-12-01T00:00:00Z", "end": "2026-12-03T12:00:00Z"},
        "explanationURL": "https://ca.example/why",
    }
    scripted_ca.script("GET", path, Reply(200, body, {"Retry-After": "3600"}))

    before = datetime.datetime.now(UTC)
    info = client.renewal_info(cert_pem)

    assert info is not None
    assert info.window_start == datetime.datetime(2026, 12, 1, tzinfo=UTC)
    assert info.window_end == datetime.datetime(2026, 12, 3, 12, tzinfo=UTC)
    assert info.explanation_url == "https://ca.example/why"
    assert before + timedelta(seconds=3590) < info.retry_after
    assert info.retry_after < datetime.datetime.now(UTC) + timedelta(seconds=3610)
    assert [r.path for r in scripted_ca.requests if r.method == "GET"][-1] == path


def test_renewal_info_with_a_broken_window_is_an_error(scripted_ca: ScriptedCA) -> None:
    client = _ari_client(scripted_ca)
    cert_pem = _certificate(days_left=60)
    path = "/renewal-info/" + certificate_id(x509.load_pem_x509_certificate(cert_pem))
    backwards = {
        "suggestedWindow": {"start": "2026-12-03T00:00:00Z", "end": "2026-12-01T00:00:00Z"}
    }
    scripted_ca.script("GET", path, Reply(200, backwards))
    with pytest.raises(ACMEError) as caught:
        client.renewal_info(cert_pem)
    assert "ends before it starts" in caught.value.message


def test_renewal_info_is_not_asked_for_an_expired_certificate(scripted_ca: ScriptedCA) -> None:
    client = _ari_client(scripted_ca)
    assert client.has_renewal_info
    assert client.renewal_info(_certificate(days_left=-1)) is None
    assert not any(r.path.startswith("/renewal-info") for r in scripted_ca.requests)


def test_renewal_info_is_none_without_ari_in_the_directory(scripted_ca: ScriptedCA) -> None:
    client = connect(scripted_ca)
    assert not client.has_renewal_info
    assert client.renewal_info(_certificate(days_left=60)) is None
