"""CSRs built by ``certdesk.crypto`` read back by ``openssl req -verify -text`` as the independent
reader: every key type × size/curve × allowed digest, and the extensions alone and together,
critical and not. Subject, SANs, extensions and criticality must be exactly as asked, the
self-signature must verify, and ``openssl pkey -pubout`` of the key must equal the CSR's key.

Keys are generated once per (type, size/curve) for the whole module, so RSA 4096 costs one
generation.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pytest

from certdesk.crypto import policy
from certdesk.crypto.csr import build_csr, csr_pem
from certdesk.crypto.keys import PrivateKey, generate_private_key, private_key_pem
from certdesk.crypto.spec import (
    BasicConstraintsSpec,
    CSRRequest,
    CSRSpec,
    ExtendedKeyUsageSpec,
    ExtensionsSpec,
    KeySpec,
    KeyUsageSpec,
    validate_csr_request,
)

# OpenSSL's long names for the usages, by our (cryptography's) names.
OPENSSL_EKU = {
    "ANY_EXTENDED_KEY_USAGE": "Any Extended Key Usage",
    "CERTIFICATE_TRANSPARENCY": "CT Precertificate Signer",
    "CLIENT_AUTH": "TLS Web Client Authentication",
    "CODE_SIGNING": "Code Signing",
    "EMAIL_PROTECTION": "E-mail Protection",
    "IPSEC_IKE": "ipsec Internet Key Exchange",
    "KERBEROS_PKINIT_KDC": "Signing KDC Response",
    "OCSP_SIGNING": "OCSP Signing",
    "SERVER_AUTH": "TLS Web Server Authentication",
    "SMARTCARD_LOGON": "Microsoft Smartcard Login",
    "TIME_STAMPING": "Time Stamping",
}
OPENSSL_KU = {
    "digital_signature": "Digital Signature",
    "content_commitment": "Non Repudiation",
    "key_encipherment": "Key Encipherment",
    "data_encipherment": "Data Encipherment",
    "key_agreement": "Key Agreement",
    "key_cert_sign": "Certificate Sign",
    "crl_sign": "CRL Sign",
    "encipher_only": "Encipher Only",
    "decipher_only": "Decipher Only",
}
OPENSSL_EXT = {
    "X509v3 Subject Alternative Name": "SAN",
    "X509v3 Basic Constraints": "BasicConstraints",
    "X509v3 Extended Key Usage": "ExtendedKeyUsage",
    "X509v3 Key Usage": "KeyUsage",
}
OPENSSL_CURVES = {
    "SECP256R1": "prime256v1",
    "SECP384R1": "secp384r1",
    "SECP521R1": "secp521r1",
    "SECP256K1": "secp256k1",
    "BrainpoolP256R1": "brainpoolP256r1",
    "BrainpoolP384R1": "brainpoolP384r1",
    "BrainpoolP512R1": "brainpoolP512r1",
}
NAMEOPT = "sep_multiline,sname,utf8,-esc_msb"


@dataclass(frozen=True)
class OpenSSLView:
    """What ``openssl req -text`` says about a CSR."""

    subject: tuple[tuple[str, str], ...]
    extensions: dict[str, tuple[bool, str]]
    signature_algorithm: str
    public_key_pem: str
    text: str


def openssl(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=False)


def read_csr(path: Path) -> OpenSSLView:
    result = openssl("req", "-verify", "-noout", "-text", "-nameopt", NAMEOPT, "-in", str(path))
    assert result.returncode == 0, result.stderr.decode()
    assert b"verify OK" in result.stderr + result.stdout
    text = result.stdout.decode()
    lines = text.splitlines()
    subject: list[tuple[str, str]] = []
    start = next(i for i, line in enumerate(lines) if line.startswith("        Subject:")) + 1
    for line in lines[start:]:
        if not line.startswith(" " * 12) or not line.strip():
            break
        key, _, value = line.strip().partition("=")
        subject.append((key, value))
    extensions: dict[str, tuple[bool, str]] = {}
    for index, line in enumerate(lines):
        match = re.match(r"^ {16}(X509v3 [A-Za-z ]+):( critical)?\s*$", line)
        if match:
            extensions[OPENSSL_EXT[match.group(1)]] = (
                bool(match.group(2)),
                lines[index + 1].strip(),
            )
    signature = re.search(r"Signature Algorithm: (\S+)", text)
    assert signature
    pubkey = openssl("req", "-pubkey", "-noout", "-in", str(path))
    assert pubkey.returncode == 0
    return OpenSSLView(tuple(subject), extensions, signature.group(1), pubkey.stdout.decode(), text)


def key_pubout(key: PrivateKey, tmp_path: Path) -> str:
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(private_key_pem(key))
    result = openssl("pkey", "-pubout", "-in", str(key_file))
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


@cache
def cached_key(key_spec: KeySpec) -> PrivateKey:
    return generate_private_key(key_spec)


def write_csr(spec: CSRSpec, key: PrivateKey, tmp_path: Path) -> OpenSSLView:
    path = tmp_path / "req.pem"
    path.write_bytes(csr_pem(build_csr(spec, key)))
    return read_csr(path)


def canonical_san(text: str) -> list[str]:
    """OpenSSL's SAN line with IPv6 addresses in canonical form."""
    entries = []
    for entry in text.split(", "):
        if entry.startswith("IP Address:"):
            entry = "IP Address:" + str(ipaddress.ip_address(entry[len("IP Address:") :]))
        entries.append(entry)
    return entries


KEY_SPECS = [
    *(KeySpec("RSA", key_length=int(c.value)) for c in policy.KEY_LENGTHS),
    *(KeySpec("EC", ec_curve=c.value) for c in policy.EC_CURVES if c.value != "ed25519"),
]
DIGESTS = [c.value for c in policy.DIGESTS if c.verdict is not policy.Verdict.REFUSED]
SUBJECT_REQUEST = CSRRequest(
    common="www.example.com",
    country="DE",
    state="Bayern",
    city="München",
    organization="Example, Inc.",
    organizational_unit="IT+Ops",
    email="hostmaster@example.com",
    san=("www.example.com", "Bücher.example", "*.example.org", "192.0.2.7", "2001:db8::1"),
)
EXPECTED_SUBJECT = (
    ("CN", "www.example.com"),
    ("C", "DE"),
    ("ST", "Bayern"),
    ("L", "München"),
    ("O", "Example, Inc."),
    ("OU", "IT+Ops"),
    ("emailAddress", "hostmaster@example.com"),
)
EXPECTED_SAN = [
    "DNS:www.example.com",
    "DNS:xn--bcher-kva.example",
    "DNS:*.example.org",
    "IP Address:192.0.2.7",
    "IP Address:2001:db8::1",
]


def _key_id(spec: KeySpec) -> str:
    return f"RSA{spec.key_length}" if spec.key_type == "RSA" else str(spec.ec_curve)


@pytest.mark.parametrize("digest", DIGESTS)
@pytest.mark.parametrize("key_spec", KEY_SPECS, ids=_key_id)
def test_key_and_digest_matrix(key_spec: KeySpec, digest: str, tmp_path: Path) -> None:
    request = replace(
        SUBJECT_REQUEST,
        key_type=key_spec.key_type,
        key_length=key_spec.key_length,
        ec_curve=key_spec.ec_curve,
        digest_algorithm=digest,
    )
    spec, _ = validate_csr_request(request)
    assert spec.key == key_spec
    key = cached_key(key_spec)
    view = write_csr(spec, key, tmp_path)

    assert view.subject == EXPECTED_SUBJECT
    assert set(view.extensions) == {"SAN"}
    critical, san = view.extensions["SAN"]
    assert not critical
    assert canonical_san(san) == EXPECTED_SAN
    expected_sig = (
        f"{digest.lower()}WithRSAEncryption"
        if key_spec.key_type == "RSA"
        else f"ecdsa-with-{digest}"
    )
    assert view.signature_algorithm == expected_sig
    if key_spec.key_type == "RSA":
        assert f"Public-Key: ({key_spec.key_length} bit)" in view.text
    else:
        assert f"ASN1 OID: {OPENSSL_CURVES[str(key_spec.ec_curve)]}" in view.text
    assert view.public_key_pem == key_pubout(key, tmp_path)


def test_ed25519_signs_without_digest(tmp_path: Path) -> None:
    request = replace(SUBJECT_REQUEST, key_type="EC", ec_curve="ed25519", digest_algorithm="SHA384")
    spec, warnings = validate_csr_request(request)
    assert spec.digest_algorithm is None
    assert any("Ed25519" in w and "ignored" in w for w in warnings)
    key = cached_key(spec.key)
    view = write_csr(spec, key, tmp_path)
    assert view.signature_algorithm == "ED25519"
    assert view.subject == EXPECTED_SUBJECT
    assert canonical_san(view.extensions["SAN"][1]) == EXPECTED_SAN
    assert view.public_key_pem == key_pubout(key, tmp_path)


def test_only_non_empty_subject_attributes_in_order(tmp_path: Path) -> None:
    spec, _ = validate_csr_request(
        CSRRequest(organization="Org", country="fr", common="a.example", email=" ", city="")
    )
    view = write_csr(spec, cached_key(KeySpec("EC", ec_curve="SECP256R1")), tmp_path)
    assert view.subject == (("CN", "a.example"), ("C", "FR"), ("O", "Org"))
    assert view.extensions == {}


def test_san_only_csr_has_empty_subject(tmp_path: Path) -> None:
    spec, _ = validate_csr_request(CSRRequest(san=("DNS:only.example", "email:a@example.com")))
    view = write_csr(spec, cached_key(KeySpec("EC", ec_curve="SECP256R1")), tmp_path)
    assert view.subject == ()
    assert view.extensions["SAN"] == (False, "DNS:only.example, email:a@example.com")


ALL_KU = KeyUsageSpec(
    enabled=True,
    digital_signature=True,
    content_commitment=True,
    key_encipherment=True,
    data_encipherment=True,
    key_agreement=True,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=True,
    decipher_only=True,
)
ALL_EKU = ExtendedKeyUsageSpec(
    enabled=True, usages=tuple(c.value for c in policy.EXTENDED_KEY_USAGES)
)
CA_BC = BasicConstraintsSpec(enabled=True, ca=True, path_length=2)


def _case(name: str, ext: ExtensionsSpec) -> tuple[str, ExtensionsSpec]:
    return name, ext


EXTENSION_CASES = [
    _case("bc-leaf", ExtensionsSpec(basic_constraints=BasicConstraintsSpec(enabled=True))),
    _case("bc-ca-pathlen", ExtensionsSpec(basic_constraints=CA_BC)),
    _case(
        "bc-ca-pathlen0",
        ExtensionsSpec(
            basic_constraints=BasicConstraintsSpec(enabled=True, ca=True, path_length=0)
        ),
    ),
    _case("bc-ca-nopathlen", ExtensionsSpec(basic_constraints=BasicConstraintsSpec(True, True))),
    _case(
        "eku-server",
        ExtensionsSpec(extended_key_usage=ExtendedKeyUsageSpec(True, ("SERVER_AUTH",))),
    ),
    _case("eku-all", ExtensionsSpec(extended_key_usage=ALL_EKU)),
    _case(
        "ku-digital", ExtensionsSpec(key_usage=KeyUsageSpec(enabled=True, digital_signature=True))
    ),
    _case(
        "ku-agreement-encipher",
        ExtensionsSpec(
            key_usage=KeyUsageSpec(enabled=True, key_agreement=True, encipher_only=True)
        ),
    ),
    _case("ku-all", ExtensionsSpec(basic_constraints=CA_BC, key_usage=ALL_KU)),
    _case(
        "all",
        ExtensionsSpec(basic_constraints=CA_BC, extended_key_usage=ALL_EKU, key_usage=ALL_KU),
    ),
]


def _with_critical(ext: ExtensionsSpec, critical: bool) -> ExtensionsSpec:
    eku = ext.extended_key_usage
    eku_critical = critical and "ANY_EXTENDED_KEY_USAGE" not in eku.usages
    return ExtensionsSpec(
        basic_constraints=replace(ext.basic_constraints, extension_critical=critical),
        extended_key_usage=replace(eku, extension_critical=eku_critical),
        key_usage=replace(ext.key_usage, extension_critical=critical),
    )


def expected_openssl_extensions(ext: ExtensionsSpec) -> dict[str, tuple[bool, str]]:
    expected: dict[str, tuple[bool, str]] = {"SAN": (False, "DNS:ext.example")}
    bc, eku, ku = ext.basic_constraints, ext.extended_key_usage, ext.key_usage
    if bc.enabled:
        text = "CA:TRUE" if bc.ca else "CA:FALSE"
        if bc.path_length is not None:
            text += f", pathlen:{bc.path_length}"
        expected["BasicConstraints"] = (bc.extension_critical, text)
    if eku.enabled:
        expected["ExtendedKeyUsage"] = (
            eku.extension_critical,
            ", ".join(OPENSSL_EKU[u] for u in eku.usages),
        )
    if ku.enabled:
        bits = [label for name, label in OPENSSL_KU.items() if getattr(ku, name)]
        expected["KeyUsage"] = (ku.extension_critical, ", ".join(bits))
    return expected


@pytest.mark.parametrize("critical", [False, True], ids=["plain", "critical"])
@pytest.mark.parametrize(("name", "ext"), EXTENSION_CASES, ids=[c[0] for c in EXTENSION_CASES])
def test_extensions_alone_and_together(
    name: str, ext: ExtensionsSpec, critical: bool, tmp_path: Path
) -> None:
    ext = _with_critical(ext, critical)
    spec, _ = validate_csr_request(
        CSRRequest(key_type="EC", ec_curve="SECP256R1", san=("ext.example",), cert_extensions=ext)
    )
    key = cached_key(spec.key)
    view = write_csr(spec, key, tmp_path)
    assert view.extensions == expected_openssl_extensions(ext)
    assert view.public_key_pem == key_pubout(key, tmp_path)


@pytest.mark.parametrize("profile", ["HTTPS RSA Certificate", "HTTPS ECC Certificate"])
def test_profiles_as_openssl_reads_them(profile: str, tmp_path: Path) -> None:
    spec, _ = validate_csr_request(CSRRequest(profile=profile, san=("ext.example",)))
    view = write_csr(spec, cached_key(spec.key), tmp_path)
    ku = (
        "Digital Signature, Key Encipherment, Key Agreement"
        if profile.startswith("HTTPS RSA")
        else "Digital Signature"
    )
    assert view.extensions == {
        "SAN": (False, "DNS:ext.example"),
        "BasicConstraints": (True, "CA:FALSE"),
        "ExtendedKeyUsage": (True, "TLS Web Server Authentication, TLS Web Client Authentication"),
        "KeyUsage": (True, ku),
    }
    assert view.signature_algorithm in {"sha256WithRSAEncryption", "ecdsa-with-SHA256"}
    expected_key = "Public-Key: (2048 bit)" if "RSA" in profile else "ASN1 OID: secp384r1"
    assert expected_key in view.text
