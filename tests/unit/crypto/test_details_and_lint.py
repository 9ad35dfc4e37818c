"""The Edit CSR details derived from a CSR, the domain labels for ACME, and the public-CA lint."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from certdesk.crypto.csr import build_csr, csr_der
from certdesk.crypto.details import CSRDetails, ExtensionInfo, csr_details, domain_labels
from certdesk.crypto.keys import PrivateKey, generate_private_key
from certdesk.crypto.lint import lint_for_public_ca
from certdesk.crypto.spec import (
    BasicConstraintsSpec,
    CSRRequest,
    ExtensionsSpec,
    KeySpec,
    validate_csr_request,
)

_KEYS: dict[KeySpec, PrivateKey] = {}


def make(req: CSRRequest) -> x509.CertificateSigningRequest:
    spec, _ = validate_csr_request(req)
    if spec.key not in _KEYS:
        _KEYS[spec.key] = generate_private_key(spec.key)
    return build_csr(spec, _KEYS[spec.key])


FULL = CSRRequest(
    profile="HTTPS RSA Certificate",
    common="www.example.com",
    country="DE",
    state="Bayern",
    city="München",
    organization="Example",
    organizational_unit="IT",
    email="hostmaster@example.com",
    san=(
        "www.example.com",
        "example.com",
        "IP:2001:db8::1",
        "email:a@example.com",
        "URI:https://e/",
    ),
)


def test_full_details() -> None:
    csr = make(FULL)
    details = csr_details(csr)
    assert details == CSRDetails(
        common="www.example.com",
        san=(
            "DNS:www.example.com",
            "DNS:example.com",
            "IP Address:2001:db8::1",
            "email:a@example.com",
            "URI:https://e/",
        ),
        DN="/CN=www.example.com/C=DE/ST=Bayern/L=München/O=Example/OU=IT"
        "/emailAddress=hostmaster@example.com"
        "/subjectAltName=DNS:www.example.com, DNS:example.com, IP Address:2001:db8::1, "
        "email:a@example.com, URI:https://e/",
        country="DE",
        state="Bayern",
        city="München",
        organization="Example",
        organizational_unit="IT",
        email="hostmaster@example.com",
        cert_type="CERTIFICATE",
        digest_algorithm="SHA256",
        key_length=2048,
        key_type="RSA",
        ec_curve=None,
        extensions=(
            ExtensionInfo(
                "SubjectAltName",
                "DNS:www.example.com, DNS:example.com, IP Address:2001:db8::1, "
                "email:a@example.com, URI:https://e/",
                False,
            ),
            ExtensionInfo("BasicConstraints", "CA:FALSE", True),
            ExtensionInfo("ExtendedKeyUsage", "SERVER_AUTH, CLIENT_AUTH", True),
            ExtensionInfo("KeyUsage", "Digital Signature, Key Encipherment, Key Agreement", True),
        ),
        fingerprint_sha256=":".join(f"{b:02X}" for b in hashlib.sha256(csr_der(csr)).digest()),
        warnings=(),
    )
    assert details.extensions_dict()["BasicConstraints"] == "CA:FALSE, critical"
    assert domain_labels(details) == ("www.example.com", "example.com")


def test_empty_subject_and_no_san() -> None:
    details = csr_details(make(CSRRequest(common="only.example", key_type="EC")))
    assert details.san == ()
    assert details.DN == "/CN=only.example"
    assert (details.country, details.email) == (None, None)
    assert details.extensions == ()
    assert (details.key_type, details.key_length, details.ec_curve) == ("EC", 384, "SECP384R1")


def test_ed25519_details() -> None:
    details = csr_details(make(CSRRequest(key_type="EC", ec_curve="ed25519", san=("a.example",))))
    assert details.digest_algorithm == "ED25519"
    assert (details.key_type, details.key_length, details.ec_curve) == ("EC", 256, "ed25519")
    assert len(details.warnings) == 1 and "Ed25519" in details.warnings[0]


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        (CSRRequest(key_length=1024, common="x.example"), "Key length 1024: "),
        (CSRRequest(digest_algorithm="SHA224", common="x.example"), "Digest SHA224: "),
        (
            CSRRequest(key_type="EC", ec_curve="SECP256K1", common="x.example"),
            "EC curve SECP256K1: ",
        ),
    ],
)
def test_warnings_come_from_the_csr(req: CSRRequest, expected: str) -> None:
    (warning,) = csr_details(make(req)).warnings
    assert warning.startswith(expected)


def test_domain_labels_dedupe_and_skip_non_dns() -> None:
    details = csr_details(
        make(
            CSRRequest(
                key_type="EC",
                common="WWW.Example.com",
                san=("www.example.com", "*.example.com", "IP:192.0.2.1", "email:a@b.example"),
            )
        )
    )
    assert domain_labels(details) == ("www.example.com", "*.example.com")
    details = csr_details(
        make(CSRRequest(key_type="EC", common="My Server", san=("Bücher.example",)))
    )
    assert domain_labels(details) == ("xn--bcher-kva.example",)


def test_foreign_extensions_are_shown() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "f.example")]))
        .add_extension(x509.TLSFeature([x509.TLSFeatureType.status_request]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "d")]))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    details = csr_details(csr)
    assert details.san == ("DirName:CN=d",)
    assert [e.name for e in details.extensions] == ["TLSFeature", "SubjectAltName"]
    problems = lint_for_public_ca(csr)
    assert any("Must-Staple" in p for p in problems)
    assert any("other than DNS names (DirName:CN=d)" in p for p in problems)


# --- lint --------------------------------------------------------------------------------------


def test_clean_csrs_pass_lint() -> None:
    for req in (
        CSRRequest(
            profile="HTTPS RSA Certificate", common="www.example.com", san=("www.example.com",)
        ),
        CSRRequest(profile="HTTPS ECC Certificate", san=("*.example.com", "example.com")),
        CSRRequest(
            key_type="EC", ec_curve="SECP256R1", digest_algorithm="SHA512", san=("a.example",)
        ),
        CSRRequest(key_length=3072, san=("a.example",)),
    ):
        assert lint_for_public_ca(make(req)) == []


@pytest.mark.parametrize(
    ("req", "fragment"),
    [
        (CSRRequest(key_length=1024, san=("a.example",)), "RSA key of 1024 bits"),
        (CSRRequest(key_type="EC", ec_curve="SECP521R1", san=("a.example",)), "EC curve SECP521R1"),
        (
            CSRRequest(key_type="EC", ec_curve="BrainpoolP384R1", san=("a.example",)),
            "ec_curve SECP256R1",
        ),
        (CSRRequest(key_type="EC", ec_curve="ed25519", san=("a.example",)), "Ed25519 key"),
        (
            CSRRequest(digest_algorithm="SHA224", key_type="EC", san=("a.example",)),
            "Signed with SHA224",
        ),
        (CSRRequest(key_type="EC", san=("IP:192.0.2.1",)), "names no DNS name"),
        (CSRRequest(key_type="EC", san=("IP:192.0.2.1", "a.example")), "IP Address:192.0.2.1"),
        (CSRRequest(key_type="EC", san=("localhost",)), "single-label"),
        (
            CSRRequest(key_type="EC", common="My Server", san=("a.example",)),
            "Common Name 'My Server'",
        ),
        (
            CSRRequest(
                key_type="EC",
                san=("a.example",),
                cert_extensions=ExtensionsSpec(basic_constraints=BasicConstraintsSpec(True, True)),
            ),
            "clear ca",
        ),
    ],
)
def test_lint_names_what_to_change(req: CSRRequest, fragment: str) -> None:
    problems = lint_for_public_ca(make(req))
    assert any(fragment in p for p in problems), problems


def test_lint_too_many_names() -> None:
    sans = tuple(f"h{i}.example" for i in range(101))
    problems = lint_for_public_ca(make(CSRRequest(key_type="EC", san=sans)))
    assert problems == [
        "The CSR names 101 domains: public CAs accept at most 100 per certificate; "
        "split it into several CSRs"
    ]


def test_lint_unicode_common_name() -> None:
    problems = lint_for_public_ca(make(CSRRequest(key_type="EC", common="bücher.example")))
    assert problems == [
        "Common Name 'bücher.example': write it in ASCII (A-label) form, 'xn--bcher-kva.example'"
    ]


def test_lint_rsa_size_not_a_multiple_of_8() -> None:
    key = rsa.generate_private_key(65537, 2044)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "odd.example")]))
        .sign(key, hashes.SHA256())
    )
    (problem,) = lint_for_public_ca(csr)
    assert problem.startswith("RSA key of 2044 bits")


def test_replace_keeps_frozen() -> None:
    details = csr_details(make(CSRRequest(key_type="EC", common="x.example")))
    with pytest.raises(AttributeError):
        details.common = "y"  # type: ignore[misc]
    assert replace(details, common="y").common == "y"
