"""Whatever bytes people paste, loading a key or a CSR ends in a result or ``InvalidInput`` on the
right field, never another exception (hypothesis: random bytes and single-byte corruptions)."""

from __future__ import annotations

from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from certdesk.crypto.csr import build_csr, csr_der, csr_pem, key_matches_csr, load_csr
from certdesk.crypto.keys import PrivateKey, generate_private_key, load_private_key, private_key_pem
from certdesk.crypto.spec import CSRRequest, validate_csr_request
from certdesk.errors import InvalidInput


@cache
def sample() -> tuple[PrivateKey, x509.CertificateSigningRequest]:
    spec, _ = validate_csr_request(
        CSRRequest(
            key_type="EC", ec_curve="SECP256R1", common="fuzz.example", san=("fuzz.example",)
        )
    )
    key = generate_private_key(spec.key)
    return key, build_csr(spec, key)


def _load_csr_or_field_error(data: bytes) -> x509.CertificateSigningRequest | None:
    try:
        return load_csr(data)
    except InvalidInput as exc:
        assert [e.field for e in exc.errors] == ["CSR"]
        return None


def _load_key_or_field_error(data: bytes, passphrase: bytes | None) -> PrivateKey | None:
    try:
        return load_private_key(data, passphrase)
    except InvalidInput as exc:
        assert len(exc.errors) == 1 and exc.errors[0].field in {"privatekey", "passphrase"}
        return None


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    assert _load_csr_or_field_error(data) is None
    assert _load_key_or_field_error(data, None) is None
    assert _load_key_or_field_error(b"-----BEGIN CERTIFICATE REQUEST-----\n" + data, None) is None


@settings(deadline=None)
@given(st.data())
def test_corrupted_csr_der(data: st.DataObject) -> None:
    _key, csr = sample()
    der = bytearray(csr_der(csr))
    index = data.draw(st.integers(min_value=0, max_value=len(der) - 1))
    value = data.draw(st.integers(min_value=0, max_value=255).filter(lambda v: v != der[index]))
    der[index] = value
    loaded = _load_csr_or_field_error(bytes(der))
    if loaded is not None:
        # Only a change the signature does not cover (e.g. an equivalent encoding) may load.
        assert loaded.is_signature_valid


@settings(deadline=None)
@given(st.data())
def test_corrupted_pem_text(data: st.DataObject) -> None:
    key, csr = sample()
    text = bytearray(csr_pem(csr))
    index = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    text[index] = data.draw(st.sampled_from(b"A+/=\n-x\x00"))
    loaded = _load_csr_or_field_error(bytes(text))
    if loaded is not None:
        assert key_matches_csr(key, loaded)
    text = bytearray(private_key_pem(key))
    index = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    text[index] = data.draw(st.sampled_from(b"A+/=\n-x\x00"))
    _load_key_or_field_error(bytes(text), None)


@settings(deadline=None)
@given(st.data())
def test_corrupted_key_der(data: st.DataObject) -> None:
    key, _csr = sample()
    plain = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    encrypted = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    for blob, passphrase in ((plain, None), (encrypted, b"pw")):
        der = bytearray(blob)
        index = data.draw(st.integers(min_value=0, max_value=len(der) - 1))
        der[index] ^= data.draw(st.integers(min_value=1, max_value=255))
        _load_key_or_field_error(bytes(der), passphrase)


@settings(max_examples=300)
@given(st.text(alphabet="abcXYZ019-_é", min_size=1, max_size=70))
def test_plain_label_shortcut_agrees_with_idna(label: str) -> None:
    """check_dns_name skips the idna tables for letter-digit-hyphen labels; for every label the
    answer is what idna (UTS 46, IDNA 2008) itself gives."""
    import idna

    from certdesk.crypto.names import check_dns_name

    try:
        expected: str | None = idna.encode(label, uts46=True).decode("ascii").lower()
        if expected.startswith("xn--"):
            idna.decode(expected)
    except idna.IDNAError:
        expected = None
    try:
        got: str | None = check_dns_name(f"{label}.example")
    except ValueError:
        got = None
    assert got == (None if expected is None else f"{expected}.example")
