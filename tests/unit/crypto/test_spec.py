"""``validate_csr_request``: defaults, policy warnings, every error of a request at once with its
field path and message, extension rules, and profiles with explicit overrides."""

from __future__ import annotations

import pytest

from certdesk.crypto.names import SAN
from certdesk.crypto.profiles import PROFILES
from certdesk.crypto.spec import (
    AuthorityKeyIdentifierSpec,
    BasicConstraintsSpec,
    CSRRequest,
    ExtendedKeyUsageSpec,
    ExtensionsSpec,
    KeySpec,
    KeyUsageSpec,
    Subject,
    validate_csr_request,
)
from certdesk.errors import FieldError, InvalidInput

MINIMAL = CSRRequest(san=("www.example.com",))


def errors_of(req: CSRRequest) -> dict[str, str]:
    with pytest.raises(InvalidInput) as exc:
        validate_csr_request(req)
    paths = [e.field for e in exc.value.errors]
    assert len(paths) == len(set(paths)), paths
    return {e.field: e.message for e in exc.value.errors}


def test_defaults() -> None:
    spec, warnings = validate_csr_request(MINIMAL)
    assert spec.key == KeySpec("RSA", key_length=2048)
    assert spec.digest_algorithm == "SHA256"
    assert spec.subject == Subject()
    assert spec.sans == (SAN("DNS", "www.example.com"),)
    assert spec.extensions == ExtensionsSpec()
    assert warnings == ()


def test_ec_default_curve_is_truenas_default() -> None:
    spec, _ = validate_csr_request(CSRRequest(key_type="EC", common="x.example"))
    assert spec.key == KeySpec("EC", ec_curve="SECP384R1")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("secp256r1", "SECP256R1"),
        ("P-256", "SECP256R1"),
        ("p-384", "SECP384R1"),
        ("ED25519", "ed25519"),
    ],
)
def test_curve_spellings(given: str, expected: str) -> None:
    spec, _ = validate_csr_request(CSRRequest(key_type="EC", ec_curve=given, common="x"))
    assert spec.key.ec_curve == expected


def test_subject_is_trimmed_and_normalised() -> None:
    spec, _ = validate_csr_request(
        CSRRequest(
            common=" www.example.com ",
            country="de",
            state="",
            city="  ",
            organization="Org",
            organizational_unit=None,
            email="Admin@Bücher.example",
        )
    )
    assert spec.subject == Subject(
        common="www.example.com",
        country="DE",
        organization="Org",
        email="Admin@xn--bcher-kva.example",
    )


@pytest.mark.parametrize(
    ("req", "warning_start"),
    [
        (CSRRequest(key_length=1024, common="x"), "Key length 1024: "),
        (CSRRequest(digest_algorithm="SHA224", common="x"), "Digest SHA224: "),
        (CSRRequest(key_type="EC", ec_curve="SECP521R1", common="x"), "EC curve SECP521R1: "),
        (
            CSRRequest(key_type="EC", ec_curve="BrainpoolP256R1", common="x"),
            "EC curve BrainpoolP256R1: ",
        ),
        (CSRRequest(key_type="EC", ec_curve="SECP256K1", common="x"), "EC curve SECP256K1: "),
        (CSRRequest(key_type="EC", ec_curve="ed25519", common="x"), "EC curve ed25519: "),
    ],
)
def test_policy_warnings(req: CSRRequest, warning_start: str) -> None:
    _, warnings = validate_csr_request(req)
    assert len(warnings) == 1
    assert warnings[0].startswith(warning_start)


def test_ed25519_ignores_digest_with_warning() -> None:
    spec, warnings = validate_csr_request(
        CSRRequest(key_type="EC", ec_curve="ed25519", digest_algorithm="SHA1", common="x")
    )
    assert spec.digest_algorithm is None
    assert "Ed25519 signs without a separate digest: digest_algorithm SHA1 is ignored" in warnings


def test_ed25519_without_digest_has_only_the_curve_warning() -> None:
    spec, warnings = validate_csr_request(CSRRequest(key_type="EC", ec_curve="ed25519", common="x"))
    assert spec.digest_algorithm is None
    assert len(warnings) == 1


def test_every_error_at_once() -> None:
    ext = ExtensionsSpec(
        basic_constraints=BasicConstraintsSpec(enabled=True, ca=False, path_length=1),
        authority_key_identifier=AuthorityKeyIdentifierSpec(enabled=True),
        extended_key_usage=ExtendedKeyUsageSpec(enabled=True, usages=()),
        key_usage=KeyUsageSpec(enabled=True, key_cert_sign=True, decipher_only=True),
    )
    errors = errors_of(
        CSRRequest(
            key_type="RSA",
            key_length=1000,
            ec_curve="SECP256R1",
            digest_algorithm="SHA1",
            country="Germany",
            email="nobody",
            common="x" * 65,
            organization="Bad\x00Org",
            san=("ok.example", "a..b", "IP:999.1.1.1"),
            cert_extensions=ext,
            profile="No Such Profile",
        )
    )
    assert errors == {
        "profile": "'No Such Profile' is not a profile: choose 'HTTPS RSA Certificate' or "
        "'HTTPS ECC Certificate'",
        "ec_curve": "EC Curve applies only to EC keys: clear it or set key_type EC",
        "key_length": "1000 is not an offered RSA key length: choose 1024, 2048, 3072, 4096",
        "digest_algorithm": "SHA1 is refused: SHA-1 signatures are broken: current OpenSSL, the "
        "cryptography library and every public CA refuse them; choose SHA256.",
        "common": "Common Name can be at most 64 characters long (RFC 5280)",
        "organization": "Organization contains control characters: remove them",
        "country": "'Germany' is not an ISO 3166-1 alpha-2 country code: choose one such as US",
        "email": "'nobody' is not a valid email address: An email address must have an @-sign.",
        "san.1": "'a..b' is not a valid DNS name: label 2 is empty (two dots in a row, or a "
        "leading dot)",
        "san.2": "'999.1.1.1' is not a valid IP address: write an IPv4 address such as 192.0.2.1 "
        "or an IPv6 address such as 2001:db8::1",
        "cert_extensions.BasicConstraints.path_length": "Path length can only be set when ca is "
        "true: set ca or clear path_length",
        "cert_extensions.AuthorityKeyIdentifier.enabled": "Authority Key Identifier is set by the "
        "issuing CA and cannot be requested in a CSR: disable it",
        "cert_extensions.ExtendedKeyUsage.usages": "Choose at least one usage for Extended Key "
        "Usage, or disable it",
        "cert_extensions.KeyUsage.key_cert_sign": "Key Cert Sign needs Basic Constraints enabled "
        "with ca set (RFC 5280 §4.2.1.3): enable them or clear key_cert_sign",
        "cert_extensions.KeyUsage.decipher_only": "Decipher Only needs Key Agreement: set "
        "key_agreement or clear decipher_only",
    }


def test_key_errors_for_ec() -> None:
    errors = errors_of(CSRRequest(key_type="EC", key_length=2048, ec_curve="SECP999", common="x"))
    assert (
        errors["key_length"] == "Key Length applies only to RSA keys: clear it or set key_type RSA"
    )
    assert errors["ec_curve"].startswith("'SECP999' is not an offered EC curve: choose ")
    assert "SECP256R1" in errors["ec_curve"]


def test_unknown_key_type_and_digest() -> None:
    errors = errors_of(CSRRequest(key_type="DSA", digest_algorithm="MD5", common="x"))
    assert errors == {
        "key_type": "'DSA' is not a key type: choose RSA or EC",
        "digest_algorithm": "'MD5' is not a digest algorithm: choose SHA224, SHA256, SHA384, "
        "SHA512",
    }


def test_bool_is_not_a_key_length() -> None:
    assert "key_length" in errors_of(CSRRequest(key_length=True, common="x"))


def test_common_name_or_san_needed() -> None:
    assert errors_of(CSRRequest(common="  ")) == {
        "san": "Give a Common Name or at least one Subject Alternate Name"
    }
    validate_csr_request(CSRRequest(common="only-cn"))
    validate_csr_request(CSRRequest(san=("IP:192.0.2.1",)))


@pytest.mark.parametrize(
    ("ext", "path", "message_part"),
    [
        (
            ExtensionsSpec(basic_constraints=BasicConstraintsSpec(True, True, -1)),
            "cert_extensions.BasicConstraints.path_length",
            "0 or more",
        ),
        (
            ExtensionsSpec(
                extended_key_usage=ExtendedKeyUsageSpec(True, ("ANY_EXTENDED_KEY_USAGE",), True)
            ),
            "cert_extensions.ExtendedKeyUsage.extension_critical",
            "must not be critical",
        ),
        (
            ExtensionsSpec(extended_key_usage=ExtendedKeyUsageSpec(True, ("SERVER_AUTH", "NOPE"))),
            "cert_extensions.ExtendedKeyUsage.usages.1",
            "'NOPE' is not an extended key usage",
        ),
        (
            ExtensionsSpec(key_usage=KeyUsageSpec(enabled=True)),
            "cert_extensions.KeyUsage",
            "at least one usage",
        ),
        (
            ExtensionsSpec(key_usage=KeyUsageSpec(enabled=True, encipher_only=True)),
            "cert_extensions.KeyUsage.encipher_only",
            "needs Key Agreement",
        ),
    ],
)
def test_extension_rules(ext: ExtensionsSpec, path: str, message_part: str) -> None:
    errors = errors_of(CSRRequest(common="x", cert_extensions=ext))
    assert list(errors) == [path]
    assert message_part in errors[path]


def test_valid_extension_combinations() -> None:
    ca = BasicConstraintsSpec(enabled=True, ca=True, path_length=0, extension_critical=True)
    ext = ExtensionsSpec(
        basic_constraints=ca,
        extended_key_usage=ExtendedKeyUsageSpec(True, ("ANY_EXTENDED_KEY_USAGE",), False),
        key_usage=KeyUsageSpec(
            enabled=True, key_cert_sign=True, crl_sign=True, key_agreement=True, encipher_only=True
        ),
    )
    spec, _ = validate_csr_request(CSRRequest(common="x", cert_extensions=ext))
    assert spec.extensions == ext


def test_disabled_extensions_are_not_checked() -> None:
    ext = ExtensionsSpec(
        basic_constraints=BasicConstraintsSpec(enabled=False, ca=False, path_length=-5),
        extended_key_usage=ExtendedKeyUsageSpec(enabled=False, usages=("NOPE",)),
        key_usage=KeyUsageSpec(enabled=False, key_cert_sign=True),
    )
    validate_csr_request(CSRRequest(common="x", cert_extensions=ext))


# --- profiles ----------------------------------------------------------------------------------


def test_profiles_as_truenas_defines_them() -> None:
    assert list(PROFILES) == ["HTTPS RSA Certificate", "HTTPS ECC Certificate"]
    for profile in PROFILES.values():
        ext = profile.extensions
        assert ext.basic_constraints == BasicConstraintsSpec(True, False, None, True)
        assert ext.extended_key_usage == ExtendedKeyUsageSpec(
            True, ("SERVER_AUTH", "CLIENT_AUTH"), True
        )
        assert not ext.authority_key_identifier.enabled
        assert profile.digest_algorithm == "SHA256"
    rsa, ecc = PROFILES.values()
    assert (rsa.key_type, rsa.key_length, rsa.ec_curve) == ("RSA", 2048, None)
    assert (ecc.key_type, ecc.key_length, ecc.ec_curve) == ("EC", None, "SECP384R1")
    assert rsa.extensions.key_usage.bits() == (
        "digital_signature",
        "key_encipherment",
        "key_agreement",
    )
    assert ecc.extensions.key_usage.bits() == ("digital_signature",)
    assert rsa.extensions.key_usage.extension_critical
    assert ecc.extensions.key_usage.extension_critical


@pytest.mark.parametrize("name", list(PROFILES))
def test_profile_fills_everything(name: str) -> None:
    profile = PROFILES[name]
    spec, warnings = validate_csr_request(CSRRequest(profile=name, common="x"))
    assert spec.key == KeySpec(profile.key_type, profile.key_length, profile.ec_curve)  # type: ignore[arg-type]
    assert spec.digest_algorithm == "SHA256"
    assert spec.extensions == profile.extensions
    assert warnings == ()


def test_explicit_options_override_profile() -> None:
    spec, _ = validate_csr_request(
        CSRRequest(
            profile="HTTPS RSA Certificate", key_length=4096, digest_algorithm="SHA512", common="x"
        )
    )
    assert spec.key == KeySpec("RSA", key_length=4096)
    assert spec.digest_algorithm == "SHA512"
    assert spec.extensions == PROFILES["HTTPS RSA Certificate"].extensions


def test_explicit_key_type_overrides_profile_key_options() -> None:
    spec, _ = validate_csr_request(
        CSRRequest(profile="HTTPS RSA Certificate", key_type="EC", common="x")
    )
    # The RSA profile's key_length does not leak into an EC key.
    assert spec.key == KeySpec("EC", ec_curve="SECP384R1")
    spec, _ = validate_csr_request(
        CSRRequest(profile="HTTPS ECC Certificate", key_type="RSA", common="x")
    )
    assert spec.key == KeySpec("RSA", key_length=2048)
    spec, _ = validate_csr_request(
        CSRRequest(profile="HTTPS ECC Certificate", ec_curve="SECP256R1", common="x")
    )
    assert spec.key == KeySpec("EC", ec_curve="SECP256R1")


def test_explicit_extensions_replace_profile_extensions() -> None:
    mine = ExtensionsSpec(key_usage=KeyUsageSpec(enabled=True, digital_signature=True))
    spec, _ = validate_csr_request(
        CSRRequest(profile="HTTPS ECC Certificate", cert_extensions=mine, common="x")
    )
    assert spec.extensions == mine
    spec, _ = validate_csr_request(
        CSRRequest(profile="HTTPS ECC Certificate", cert_extensions=ExtensionsSpec(), common="x")
    )
    assert spec.extensions == ExtensionsSpec()


def test_profile_errors_come_with_the_others() -> None:
    errors = errors_of(CSRRequest(profile="HTTPS ECC Certificate", key_length=2048, san=("a..b",)))
    assert set(errors) == {"key_length", "san.0"}


def test_invalid_input_message_has_no_secrets() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_csr_request(CSRRequest())
    assert exc.value.errors == (
        FieldError("san", "Give a Common Name or at least one Subject Alternate Name"),
    )
