"""Key generation and description, PKCS#8 output, CSR building and loading in-process (the
``openssl`` cross-checks live in tests/integration/test_openssl_*.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from certdesk.crypto import policy
from certdesk.crypto.csr import (
    MSG_BAD_SIGNATURE,
    build_csr,
    check_key_matches,
    csr_der,
    csr_pem,
    key_matches_csr,
    load_csr,
    subject_name,
)
from certdesk.crypto.keys import (
    EC_CURVE_TYPES,
    KeyInfo,
    generate_private_key,
    key_description,
    load_private_key,
    private_key_pem,
    public_key_der,
)
from certdesk.crypto.spec import CSRRequest, KeySpec, Subject, validate_csr_request
from certdesk.errors import FieldError, InvalidInput


@pytest.fixture(scope="module")
def p256() -> ec.EllipticCurvePrivateKey:
    key = generate_private_key(KeySpec("EC", ec_curve="SECP256R1"))
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def test_every_offered_curve_can_be_generated() -> None:
    offered = {c.value for c in policy.EC_CURVES} - {"ed25519"}
    assert offered == set(EC_CURVE_TYPES)
    for name in offered:
        key = generate_private_key(KeySpec("EC", ec_curve=name))
        info = key_description(key)
        assert info.key_type == "EC" and info.ec_curve == name
        assert info == key_description(key.public_key())


def test_ed25519_is_256_bits() -> None:
    key = generate_private_key(KeySpec("EC", ec_curve="ed25519"))
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    assert key_description(key) == KeyInfo("EC", 256, "ed25519")


def test_rsa_generation() -> None:
    key = generate_private_key(KeySpec("RSA", key_length=2048))
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.private_numbers().public_numbers.e == 65537
    assert key_description(key) == KeyInfo("RSA", 2048, None)


def test_generation_misuse_raises_value_error() -> None:
    with pytest.raises(ValueError):
        generate_private_key(KeySpec("RSA"))
    with pytest.raises(ValueError):
        generate_private_key(KeySpec("EC", ec_curve="P-999"))


def test_unoffered_curve_is_described_by_library_name() -> None:
    key = ec.generate_private_key(ec.SECP224R1())
    assert key_description(key) == KeyInfo("EC", 224, "secp224r1")


def test_pkcs8_round_trip(p256: ec.EllipticCurvePrivateKey) -> None:
    pem = private_key_pem(p256)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    again = load_private_key(pem, None)
    assert public_key_der(again) == public_key_der(p256)


@pytest.mark.parametrize(
    "encoding", [serialization.Encoding.PEM, serialization.Encoding.DER], ids=["pem", "der"]
)
def test_encrypted_pkcs8_in_process(
    p256: ec.EllipticCurvePrivateKey, encoding: serialization.Encoding
) -> None:
    data = p256.private_bytes(
        encoding,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"s3cret"),
    )
    assert public_key_der(load_private_key(data, b"s3cret")) == public_key_der(p256)
    with pytest.raises(InvalidInput) as exc:
        load_private_key(data, b"wrong")
    assert exc.value.errors == (
        FieldError("passphrase", "The passphrase does not decrypt the private key"),
    )
    assert "s3cret" not in str(exc.value) and "wrong" not in str(exc.value)


def test_subject_order_and_empty_attributes() -> None:
    name = subject_name(
        Subject(
            email="a@example.com",
            organizational_unit="OU",
            organization="O",
            city="L",
            state="ST",
            country="DE",
            common="CN",
        )
    )
    assert [a.oid for a in name] == [
        NameOID.COMMON_NAME,
        NameOID.COUNTRY_NAME,
        NameOID.STATE_OR_PROVINCE_NAME,
        NameOID.LOCALITY_NAME,
        NameOID.ORGANIZATION_NAME,
        NameOID.ORGANIZATIONAL_UNIT_NAME,
        NameOID.EMAIL_ADDRESS,
    ]
    assert list(subject_name(Subject(organization="O"))) == [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "O")
    ]


def test_build_and_load(p256: ec.EllipticCurvePrivateKey) -> None:
    spec, _ = validate_csr_request(
        CSRRequest(
            profile="HTTPS ECC Certificate",
            ec_curve="SECP256R1",
            digest_algorithm="SHA384",
            common="www.example.com",
            san=("www.example.com", "IP:2001:db8::1"),
        )
    )
    csr = build_csr(spec, p256)
    assert csr.is_signature_valid
    assert isinstance(csr.signature_hash_algorithm, hashes.SHA384)
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert not san.critical
    assert [ext.oid._name for ext in csr.extensions] == [
        "subjectAltName",
        "basicConstraints",
        "extendedKeyUsage",
        "keyUsage",
    ]
    assert all(ext.critical for ext in list(csr.extensions)[1:])
    for data in (csr_pem(csr), csr_der(csr)):
        loaded = load_csr(data)
        assert csr_der(loaded) == csr_der(csr)
        assert key_matches_csr(p256, loaded)
        check_key_matches(p256, loaded)


def test_mismatch_in_process(p256: ec.EllipticCurvePrivateKey) -> None:
    spec, _ = validate_csr_request(CSRRequest(key_type="EC", ec_curve="SECP256R1", common="x"))
    csr = build_csr(spec, p256)
    other = generate_private_key(spec.key)
    assert not key_matches_csr(other, csr)
    with pytest.raises(InvalidInput) as exc:
        check_key_matches(other, csr)
    assert exc.value.errors == (FieldError("privatekey", "Private key does not match the CSR"),)


def test_tampered_signature_in_process(p256: ec.EllipticCurvePrivateKey) -> None:
    spec, _ = validate_csr_request(
        CSRRequest(key_type="EC", ec_curve="SECP256R1", common="tamper.example")
    )
    der = csr_der(build_csr(spec, p256))
    tampered = der.replace(b"tamper.example", b"tamper.exbmple")
    assert tampered != der
    with pytest.raises(InvalidInput) as exc:
        load_csr(tampered)
    assert exc.value.errors == (FieldError("CSR", MSG_BAD_SIGNATURE),)


def test_build_refuses_misuse(p256: ec.EllipticCurvePrivateKey) -> None:
    spec, _ = validate_csr_request(CSRRequest(key_type="EC", ec_curve="SECP256R1", common="x"))
    with pytest.raises(ValueError):
        build_csr(replace(spec, digest_algorithm="SHA1"), p256)


def test_bad_csr_version_is_invalid_input(p256: ec.EllipticCurvePrivateKey) -> None:
    spec, _ = validate_csr_request(CSRRequest(key_type="EC", ec_curve="SECP256R1", common="v"))
    der = csr_der(build_csr(spec, p256))
    version_at = der.index(b"\x02\x01\x00")
    bad = der[:version_at] + b"\x02\x01\x3e" + der[version_at + 3 :]
    with pytest.raises(InvalidInput) as exc:
        load_csr(bad)
    assert [e.field for e in exc.value.errors] == ["CSR"]
