"""The import matrix: private keys and CSRs made by ``openssl`` at test time, in every format and
cipher certdesk accepts (PEM/DER CSR; PKCS#8 plain and encrypted with several ciphers and PBEs,
PKCS#1 and SEC1 plain and legacy ``Proc-Type: 4,ENCRYPTED``, DER forms), loaded by
``certdesk.crypto``; and the refusals: mismatched key, wrong and missing passphrase, unreadable
ciphers, unsupported key types, garbage, truncated and tampered CSRs.
"""

from __future__ import annotations

import base64
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from certdesk.crypto.csr import (
    MSG_BAD_SIGNATURE,
    MSG_KEY_MISMATCH,
    check_key_matches,
    csr_der,
    key_matches_csr,
    load_csr,
)
from certdesk.crypto.details import csr_details, domain_labels
from certdesk.crypto.keys import (
    MSG_NEEDS_PASSPHRASE,
    MSG_WRONG_PASSPHRASE,
    key_description,
    load_private_key,
    private_key_pem,
    public_key_der,
)
from certdesk.errors import FieldError, InvalidInput

PASS = "correct horse battery"


def openssl(*args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=False)
    assert result.returncode == 0, f"openssl {' '.join(args)}: {result.stderr.decode()}"
    return result.stdout


@dataclass(frozen=True)
class KeyForm:
    name: str
    path: Path
    encrypted: bool


@dataclass(frozen=True)
class KeySet:
    """One key made by openssl, written in many forms, and its CSR in PEM and DER."""

    algorithm: str
    base: Path
    forms: tuple[KeyForm, ...]
    csr_pem: Path
    csr_der: Path
    pubkey_pem: bytes


def _forms(base: Path, algorithm: str, directory: Path) -> list[KeyForm]:
    """Write ``base`` in every form openssl can make for its algorithm."""
    out: list[KeyForm] = []

    def make(name: str, encrypted: bool, *args: str) -> None:
        path = directory / f"{algorithm}-{name}"
        openssl(*args, "-in", str(base), "-out", str(path))
        out.append(KeyForm(name, path, encrypted))

    pw = f"pass:{PASS}"
    make("pkcs8.pem", False, "pkey")
    make("pkcs8.der", False, "pkey", "-outform", "DER")
    for cipher in ("aes-256-cbc", "aes-128-cbc", "des3"):
        make(f"pkcs8-{cipher}.pem", True, "pkcs8", "-topk8", "-v2", cipher, "-passout", pw)
    make("pkcs8-pbe-sha1-3des.pem", True, "pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES", "-passout", pw)
    make("pkcs8-scrypt.pem", True, "pkcs8", "-topk8", "-scrypt", "-passout", pw)
    make(
        "pkcs8-aes-256-cbc.der",
        True,
        *("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-outform", "DER", "-passout", pw),
    )
    if algorithm == "rsa":
        make("pkcs1.pem", False, "rsa", "-traditional")
        make("pkcs1.der", False, "rsa", "-traditional", "-outform", "DER")
        for cipher in ("aes256", "aes128", "des3"):
            make(f"pkcs1-{cipher}.pem", True, "rsa", "-traditional", f"-{cipher}", "-passout", pw)
    if algorithm == "ec":
        make("sec1.pem", False, "ec")
        make("sec1.der", False, "ec", "-outform", "DER")
        for cipher in ("aes256", "des3"):
            make(f"sec1-{cipher}.pem", True, "ec", f"-{cipher}", "-passout", pw)
    return out


GENPKEY = {
    "rsa": ("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"),
    "ec": ("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"),
    "ed25519": ("-algorithm", "ED25519"),
}


@pytest.fixture(scope="module")
def keysets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeySet]:
    directory = tmp_path_factory.mktemp("openssl-import")
    sets: dict[str, KeySet] = {}
    for algorithm, genargs in GENPKEY.items():
        base = directory / f"{algorithm}.key"
        openssl("genpkey", *genargs, "-out", str(base))
        csr_pem = directory / f"{algorithm}.csr"
        csr_der_path = directory / f"{algorithm}.csr.der"
        req = ("req", "-new", "-key", str(base), "-subj", f"/CN={algorithm}.example/O=Import Test")
        ext = ("-addext", f"subjectAltName=DNS:{algorithm}.example,DNS:www.{algorithm}.example")
        openssl(*req, *ext, "-out", str(csr_pem))
        openssl("req", "-in", str(csr_pem), "-outform", "DER", "-out", str(csr_der_path))
        sets[algorithm] = KeySet(
            algorithm,
            base,
            tuple(_forms(base, algorithm, directory)),
            csr_pem,
            csr_der_path,
            openssl("pkey", "-in", str(base), "-pubout"),
        )
    return sets


def _all_forms() -> list[tuple[str, str, bool]]:
    # Mirrors _forms without running openssl at collection time.
    common = [
        ("pkcs8.pem", False),
        ("pkcs8.der", False),
        ("pkcs8-aes-256-cbc.pem", True),
        ("pkcs8-aes-128-cbc.pem", True),
        ("pkcs8-des3.pem", True),
        ("pkcs8-pbe-sha1-3des.pem", True),
        ("pkcs8-scrypt.pem", True),
        ("pkcs8-aes-256-cbc.der", True),
    ]
    extra = {
        "rsa": [
            ("pkcs1.pem", False),
            ("pkcs1.der", False),
            ("pkcs1-aes256.pem", True),
            ("pkcs1-aes128.pem", True),
            ("pkcs1-des3.pem", True),
        ],
        "ec": [
            ("sec1.pem", False),
            ("sec1.der", False),
            ("sec1-aes256.pem", True),
            ("sec1-des3.pem", True),
        ],
        "ed25519": [],
    }
    return [(alg, name, enc) for alg in GENPKEY for name, enc in common + extra[alg]]


FORMS = _all_forms()


def _form(keyset: KeySet, name: str) -> KeyForm:
    return next(f for f in keyset.forms if f.name == name)


def _field_errors(exc: pytest.ExceptionInfo[InvalidInput]) -> list[FieldError]:
    return list(exc.value.errors)


def test_every_form_is_covered(keysets: dict[str, KeySet]) -> None:
    made = {(k.algorithm, f.name, f.encrypted) for k in keysets.values() for f in k.forms}
    assert made == set(FORMS)


@pytest.mark.parametrize(
    ("algorithm", "form", "encrypted"), FORMS, ids=[f"{a}-{n}" for a, n, _ in FORMS]
)
def test_import_matrix(
    keysets: dict[str, KeySet], algorithm: str, form: str, encrypted: bool, tmp_path: Path
) -> None:
    keyset = keysets[algorithm]
    data = _form(keyset, form).path.read_bytes()
    if encrypted:
        assert b"ENCRYPTED" in data or form.endswith(".der")
    key = load_private_key(data, PASS.encode() if encrypted else None)

    # The CSR openssl made with this key, in both encodings, matches it.
    for csr_file in (keyset.csr_pem, keyset.csr_der):
        csr = load_csr(csr_file.read_bytes())
        assert key_matches_csr(key, csr)
        check_key_matches(key, csr)

    # What we hand out is unencrypted PKCS#8 PEM that openssl reads as the same key.
    pem = private_key_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    out = tmp_path / "out.key"
    out.write_bytes(pem)
    assert openssl("pkey", "-in", str(out), "-pubout", "-passin", "pass:") == keyset.pubkey_pem
    assert b"ENCRYPTED" not in pem


@pytest.mark.parametrize(
    ("algorithm", "form", "encrypted"),
    [f for f in FORMS if f[2]],
    ids=[f"{a}-{n}" for a, n, e in FORMS if e],
)
def test_wrong_and_missing_passphrase(
    keysets: dict[str, KeySet], algorithm: str, form: str, encrypted: bool
) -> None:
    data = _form(keysets[algorithm], form).path.read_bytes()
    with pytest.raises(InvalidInput) as missing:
        load_private_key(data, None)
    assert _field_errors(missing) == [FieldError("passphrase", MSG_NEEDS_PASSPHRASE)]
    with pytest.raises(InvalidInput) as empty:
        load_private_key(data, b"")
    assert _field_errors(empty) == [FieldError("passphrase", MSG_NEEDS_PASSPHRASE)]
    with pytest.raises(InvalidInput) as wrong:
        load_private_key(data, b"not the passphrase")
    assert _field_errors(wrong) == [FieldError("passphrase", MSG_WRONG_PASSPHRASE)]
    assert PASS not in str(wrong.value) and "not the passphrase" not in str(wrong.value)


def test_passphrase_given_for_plain_key_is_ignored(keysets: dict[str, KeySet]) -> None:
    data = _form(keysets["rsa"], "pkcs1.pem").path.read_bytes()
    key = load_private_key(data, b"unneeded")
    assert key_description(key).key_length == 2048


def test_ecparam_genkey_output_with_parameters_block(tmp_path: Path) -> None:
    path = tmp_path / "ecparam.key"
    openssl("ecparam", "-genkey", "-name", "secp384r1", "-out", str(path))
    data = path.read_bytes()
    assert data.startswith(b"-----BEGIN EC PARAMETERS-----")
    assert key_description(load_private_key(data, None)).ec_curve == "SECP384R1"


@pytest.mark.parametrize(
    ("cmd", "label"),
    [
        (("rsa", "-traditional", "-aes192"), "legacy aes-192"),
        (("pkcs8", "-topk8", "-v2", "camellia-256-cbc"), "pkcs8 camellia"),
    ],
)
def test_unreadable_cipher_is_named(
    keysets: dict[str, KeySet], cmd: tuple[str, ...], label: str, tmp_path: Path
) -> None:
    path = tmp_path / "odd.key"
    openssl(*cmd, "-in", str(keysets["rsa"].base), "-out", str(path), "-passout", f"pass:{PASS}")
    with pytest.raises(InvalidInput) as exc:
        load_private_key(path.read_bytes(), PASS.encode())
    (error,) = exc.value.errors
    assert error.field == "privatekey"
    assert "cipher" in error.message and "AES-256-CBC" in error.message, label


def test_mismatched_key_is_refused(keysets: dict[str, KeySet]) -> None:
    for algorithm, other in (("rsa", "ec"), ("ec", "ed25519"), ("ed25519", "rsa")):
        key = load_private_key(keysets[algorithm].base.read_bytes(), None)
        csr = load_csr(keysets[other].csr_pem.read_bytes())
        assert not key_matches_csr(key, csr)
        with pytest.raises(InvalidInput) as exc:
            check_key_matches(key, csr)
        assert _field_errors(exc) == [FieldError("privatekey", MSG_KEY_MISMATCH)]


def test_same_type_other_key_is_refused(keysets: dict[str, KeySet], tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    openssl("genpkey", *GENPKEY["ec"], "-out", str(other))
    key = load_private_key(other.read_bytes(), None)
    with pytest.raises(InvalidInput) as exc:
        check_key_matches(key, load_csr(keysets["ec"].csr_pem.read_bytes()))
    assert _field_errors(exc) == [FieldError("privatekey", MSG_KEY_MISMATCH)]


@pytest.mark.parametrize(
    "genargs",
    [("-algorithm", "ED448"), ("-algorithm", "X25519")],
    ids=["ed448", "x25519"],
)
def test_unsupported_key_types(genargs: tuple[str, ...], tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    openssl("genpkey", *genargs, "-out", str(path))
    with pytest.raises(InvalidInput) as exc:
        load_private_key(path.read_bytes(), None)
    (error,) = exc.value.errors
    assert error.field == "privatekey"
    assert "RSA, EC or Ed25519" in error.message


def test_dsa_key_is_refused(tmp_path: Path) -> None:
    params = tmp_path / "dsa.params"
    key = tmp_path / "dsa.key"
    openssl(
        "genpkey",
        "-genparam",
        "-algorithm",
        "DSA",
        "-pkeyopt",
        "dsa_paramgen_bits:1024",
        "-out",
        str(params),
    )
    openssl("genpkey", "-paramfile", str(params), "-out", str(key))
    with pytest.raises(InvalidInput) as exc:
        load_private_key(key.read_bytes(), None)
    assert exc.value.errors[0].field == "privatekey"


def test_short_rsa_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.key"
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:512", "-out", str(path))
    with pytest.raises(InvalidInput) as exc:
        load_private_key(path.read_bytes(), None)
    (error,) = exc.value.errors
    assert error.field == "privatekey"
    assert "512 bits" in error.message and "at least 1024" in error.message


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"hello world",
        b"\x30\x82\x01\x00garbage",
        b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
    ],
    ids=["empty", "blank", "text", "der-garbage", "pem-garbage", "pem-truncated"],
)
def test_garbage_keys(data: bytes) -> None:
    with pytest.raises(InvalidInput) as exc:
        load_private_key(data, None)
    (error,) = exc.value.errors
    assert error.field == "privatekey"


def test_certificate_pasted_as_key(keysets: dict[str, KeySet], tmp_path: Path) -> None:
    cert = tmp_path / "c.pem"
    base = keysets["ec"].base
    openssl(
        "req", "-x509", "-new", "-key", str(base), "-subj", "/CN=x", "-days", "1", "-out", str(cert)
    )
    with pytest.raises(InvalidInput) as exc:
        load_private_key(cert.read_bytes(), None)
    assert exc.value.errors[0].field == "privatekey"
    assert "PRIVATE KEY" in exc.value.errors[0].message


# --- CSRs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", list(GENPKEY))
def test_openssl_csr_details(keysets: dict[str, KeySet], algorithm: str) -> None:
    keyset = keysets[algorithm]
    pem = keyset.csr_pem.read_bytes()
    csr = load_csr(pem)
    assert csr_der(csr) == keyset.csr_der.read_bytes()
    assert csr_der(load_csr(keyset.csr_der.read_bytes())) == csr_der(csr)
    details = csr_details(csr)
    assert details.common == f"{algorithm}.example"
    assert details.organization == "Import Test"
    assert details.san == (f"DNS:{algorithm}.example", f"DNS:www.{algorithm}.example")
    assert (
        f"/CN={algorithm}.example/O=Import Test"
        f"/subjectAltName=DNS:{algorithm}.example, DNS:www.{algorithm}.example"
    ) == details.DN
    assert domain_labels(details) == (f"{algorithm}.example", f"www.{algorithm}.example")
    expected = {
        "rsa": ("RSA", 2048, None, "SHA256"),
        "ec": ("EC", 256, "SECP256R1", "SHA256"),
        "ed25519": ("EC", 256, "ed25519", "ED25519"),
    }[algorithm]
    assert (
        details.key_type,
        details.key_length,
        details.ec_curve,
        details.digest_algorithm,
    ) == expected
    fingerprint = openssl("req", "-in", str(keyset.csr_pem), "-outform", "DER")
    digest = openssl("dgst", "-sha256", "-c", stdin=fingerprint).decode().split()[-1].upper()
    assert details.fingerprint_sha256 == digest
    assert public_key_der(csr.public_key()) == openssl(
        "pkey", "-pubin", "-in", "/dev/stdin", "-outform", "DER", stdin=keyset.pubkey_pem
    )


def test_csr_with_new_certificate_request_label(keysets: dict[str, KeySet]) -> None:
    pem = (
        keysets["rsa"]
        .csr_pem.read_bytes()
        .replace(b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST")
    )
    assert load_csr(b"leading text\n" + pem + b"trailing\n").subject


@pytest.mark.parametrize("digest", ["sha1", "md5"])
def test_broken_digest_csr_is_refused(
    keysets: dict[str, KeySet], digest: str, tmp_path: Path
) -> None:
    path = tmp_path / "weak.csr"
    base = keysets["rsa"].base
    openssl(
        "req",
        "-new",
        f"-{digest}",
        "-key",
        str(base),
        "-subj",
        "/CN=weak.example",
        "-out",
        str(path),
    )
    with pytest.raises(InvalidInput) as exc:
        load_csr(path.read_bytes())
    (error,) = exc.value.errors
    assert error.field == "CSR"
    assert f"signed with {digest.upper()}" in error.message and "SHA256" in error.message


def _der_of(keyset: KeySet) -> bytes:
    return keyset.csr_der.read_bytes()


def _pem(der: bytes) -> bytes:
    body = base64.encodebytes(der)
    return b"-----BEGIN CERTIFICATE REQUEST-----\n" + body + b"-----END CERTIFICATE REQUEST-----\n"


@pytest.mark.parametrize("algorithm", list(GENPKEY))
def test_tampered_csr_signature_fails(keysets: dict[str, KeySet], algorithm: str) -> None:
    der = _der_of(keysets[algorithm])
    needle = f"www.{algorithm}.example".encode()
    assert der.count(needle) == 1
    tampered = der.replace(needle, needle.replace(b"www", b"wvw"))
    # openssl agrees the signature no longer verifies.
    check = subprocess.run(
        ["openssl", "req", "-inform", "DER", "-verify", "-noout"],
        input=tampered,
        capture_output=True,
    )
    assert b"verify failure" in check.stderr
    for data in (tampered, _pem(tampered)):
        with pytest.raises(InvalidInput) as exc:
            load_csr(data)
        assert _field_errors(exc) == [FieldError("CSR", MSG_BAD_SIGNATURE)]


@pytest.mark.parametrize("algorithm", list(GENPKEY))
def test_truncated_csr(keysets: dict[str, KeySet], algorithm: str) -> None:
    der = _der_of(keysets[algorithm])
    pem = keysets[algorithm].csr_pem.read_bytes()
    cases = [
        der[: len(der) // 2],
        der[:-1],
        pem[: len(pem) // 2],
        pem.replace(b"-----END CERTIFICATE REQUEST-----\n", b""),
        _pem(der[:-10]),
    ]
    for data in cases:
        with pytest.raises(InvalidInput) as exc:
            load_csr(data)
        (error,) = exc.value.errors
        assert error.field == "CSR"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"\x30\x03\x02\x01\x00",
        b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
    ],
    ids=["empty", "text", "der-int", "pem-garbage"],
)
def test_garbage_csr(data: bytes) -> None:
    with pytest.raises(InvalidInput) as exc:
        load_csr(data)
    (error,) = exc.value.errors
    assert error.field == "CSR"


def test_private_key_pasted_as_csr(keysets: dict[str, KeySet]) -> None:
    with pytest.raises(InvalidInput) as exc:
        load_csr(keysets["rsa"].base.read_bytes())
    assert exc.value.errors[0].field == "CSR"
