"""Private keys: generate them from a ``KeySpec``, load them as people paste them (PEM or DER;
PKCS#8, PKCS#1 or SEC1; plain, PKCS#8-encrypted or legacy ``Proc-Type: 4,ENCRYPTED`` PEM),
hand them out as unencrypted PKCS#8 PEM, and describe them (type, size, curve).

Load failures raise ``InvalidInput`` on ``privatekey`` or ``passphrase`` with a message that says
what to do; no message ever contains key material or the passphrase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from certdesk.crypto.pem import find_pem_block
from certdesk.crypto.spec import KeySpec
from certdesk.errors import InvalidInput

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

PRIVATE_KEY_FIELD = "privatekey"
PASSPHRASE_FIELD = "passphrase"
MIN_RSA_BITS = 1024

#: Policy curve name -> cryptography curve class.
EC_CURVE_TYPES: dict[str, type[ec.EllipticCurve]] = {
    "SECP256R1": ec.SECP256R1,
    "SECP384R1": ec.SECP384R1,
    "SECP521R1": ec.SECP521R1,
    "SECP256K1": ec.SECP256K1,
    "BrainpoolP256R1": ec.BrainpoolP256R1,
    "BrainpoolP384R1": ec.BrainpoolP384R1,
    "BrainpoolP512R1": ec.BrainpoolP512R1,
}
_CURVE_NAMES: dict[str, str] = {cls().name: name for name, cls in EC_CURVE_TYPES.items()}

MSG_NEEDS_PASSPHRASE = "The private key is encrypted: give its passphrase"
MSG_WRONG_PASSPHRASE = "The passphrase does not decrypt the private key"
MSG_UNREADABLE = (
    "Not a readable private key: give an RSA, EC or Ed25519 key in PEM "
    "(-----BEGIN PRIVATE KEY-----) or DER form, PKCS#8, PKCS#1 or SEC1"
)


@dataclass(frozen=True)
class KeyInfo:
    """What a key is: type ("EC" covers Ed25519, as TrueNAS shows it), size in bits, curve."""

    key_type: Literal["RSA", "EC"]
    key_length: int
    ec_curve: str | None


def generate_private_key(spec: KeySpec) -> PrivateKey:
    """A new private key as ``spec`` asks (RSA e=65537; EC on the named curve; Ed25519)."""
    if spec.key_type == "RSA":
        if spec.key_length is None:
            raise ValueError("an RSA KeySpec needs key_length")
        return rsa.generate_private_key(public_exponent=65537, key_size=spec.key_length)
    if spec.ec_curve == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if spec.ec_curve not in EC_CURVE_TYPES:
        raise ValueError(f"unknown EC curve {spec.ec_curve!r}")
    return ec.generate_private_key(EC_CURVE_TYPES[spec.ec_curve]())


def load_private_key(data: bytes, passphrase: bytes | None) -> PrivateKey:
    """Load a private key in any of the accepted forms; ``InvalidInput`` when it cannot be."""
    password = passphrase or None
    blob, is_pem = _key_blob(data)
    try:
        key = _parse(blob, is_pem, None)
    except TypeError:
        # Encrypted: "Password was not given but private key is encrypted".
        if password is None:
            raise InvalidInput.single(PASSPHRASE_FIELD, MSG_NEEDS_PASSPHRASE) from None
        key = _load_encrypted(blob, is_pem, password)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidInput.single(PRIVATE_KEY_FIELD, _describe_failure(exc)) from None
    return _check_supported(key)


def _parse(blob: bytes, is_pem: bool, password: bytes | None) -> PrivateKeyTypes:
    if is_pem:
        return serialization.load_pem_private_key(blob, password=password)
    return serialization.load_der_private_key(blob, password=password)


def _load_encrypted(blob: bytes, is_pem: bool, password: bytes) -> PrivateKeyTypes:
    try:
        return _parse(blob, is_pem, password)
    except UnsupportedAlgorithm:
        raise InvalidInput.single(PRIVATE_KEY_FIELD, _MSG_CIPHER) from None
    except (ValueError, TypeError) as exc:
        text = str(exc).lower()
        if "unknown cipher" in text or "unknown key encryption" in text or "unsupported" in text:
            raise InvalidInput.single(PRIVATE_KEY_FIELD, _MSG_CIPHER) from None
        raise InvalidInput.single(PASSPHRASE_FIELD, MSG_WRONG_PASSPHRASE) from None


_MSG_CIPHER = (
    "The private key is encrypted with a cipher certdesk cannot read: re-encrypt it with "
    "AES-256-CBC (openssl pkcs8 -topk8 -v2 aes-256-cbc) or give it unencrypted"
)


def _key_blob(data: bytes) -> tuple[bytes, bool]:
    """The bytes to parse and whether they are PEM; the private-key PEM block is picked out
    of text that holds other blocks (EC PARAMETERS, certificates)."""
    if b"-----BEGIN" not in data:
        if not data.strip():
            raise InvalidInput.single(PRIVATE_KEY_FIELD, "The private key is empty: paste it")
        return data, False
    block = find_pem_block(data, lambda label: label.endswith("PRIVATE KEY"))
    if block is not None:
        return block, True
    raise InvalidInput.single(
        PRIVATE_KEY_FIELD,
        "No complete private key PEM block found: paste everything from "
        "-----BEGIN … PRIVATE KEY----- to -----END … PRIVATE KEY-----",
    )


def _describe_failure(exc: Exception) -> str:
    if isinstance(exc, UnsupportedAlgorithm):
        return "Unsupported private key type: give an RSA, EC or Ed25519 key"
    return MSG_UNREADABLE


def _check_supported(key: object) -> PrivateKey:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise InvalidInput.single(
                PRIVATE_KEY_FIELD,
                f"The RSA key has {key.key_size} bits: key size must be at least "
                f"{MIN_RSA_BITS} bits (2048 recommended)",
            )
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        return key
    kind = type(key).__name__.replace("PrivateKey", "").replace("_", "") or "this"
    raise InvalidInput.single(
        PRIVATE_KEY_FIELD,
        f"Unsupported private key type ({kind}): give an RSA, EC or Ed25519 key",
    )


def private_key_pem(key: PrivateKey) -> bytes:
    """The key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_der(key: PrivateKey | PublicKey) -> bytes:
    """The DER SubjectPublicKeyInfo of a key, given its private or its public half."""
    public = (
        key.public_key()
        if isinstance(
            key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
        )
        else key
    )
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def as_public_key(key: object) -> PublicKey | None:
    """``key`` when it is an RSA, EC or Ed25519 public key, else None."""
    if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        return key
    return None


def curve_name(curve: ec.EllipticCurve) -> str:
    """The policy name of a curve (``SECP256R1``), or the library's name when not offered."""
    return _CURVE_NAMES.get(curve.name, curve.name)


def key_description(key: PrivateKey | PublicKey) -> KeyInfo:
    """Type, size and curve of a private or public key (Ed25519: EC, 256 bits)."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return KeyInfo("RSA", key.key_size, None)
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return KeyInfo("EC", key.curve.key_size, curve_name(key.curve))
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return KeyInfo("EC", 256, "ed25519")
    raise TypeError(f"unsupported key type {type(key).__name__}")
