"""ACME account keys and the facts about a registered account that services store.

An ``AccountKey`` is the account's JWK private key kept as unencrypted PKCS#8 PEM bytes (storage
encrypts it at rest); it never shows its key material in ``repr``. ``AccountInfo`` is what a
registration or login returns: enough to find the account again without registering twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import josepy as jose
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from certdesk.errors import CryptoError

AccountKeyType = Literal["EC", "RSA"]

_EC_ALGORITHMS: dict[str, jose.JWASignature] = {
    "secp256r1": jose.ES256,
    "secp384r1": jose.ES384,
}


@dataclass(frozen=True)
class AccountKey:
    """An ACME account private key (EC P-256/P-384 or RSA >= 2048) as PEM bytes."""

    pem: bytes = field(repr=False)

    def __post_init__(self) -> None:
        # Parse once now so that a bad key fails where it is loaded, not in the middle of an order.
        _ = self._parsed

    @classmethod
    def generate(cls, key_type: AccountKeyType = "EC") -> AccountKey:
        """A new key: EC P-256 (the default, small and fast) or RSA-2048."""
        private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
        if key_type == "EC":
            private = ec.generate_private_key(ec.SECP256R1())
        elif key_type == "RSA":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            raise ValueError(f"key_type must be 'EC' or 'RSA', not {key_type!r}")
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls(pem)

    @property
    def jwk(self) -> jose.JWK:
        """The key as a josepy JWK (what the ``acme`` library signs with)."""
        return self._parsed[0]

    @property
    def algorithm(self) -> jose.JWASignature:
        """The JWS algorithm this key signs with (ES256, ES384 or RS256)."""
        return self._parsed[1]

    @cached_property
    def _parsed(self) -> tuple[jose.JWK, jose.JWASignature]:
        try:
            private = serialization.load_pem_private_key(self.pem, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise CryptoError(
                "The ACME account key could not be read: it must be an unencrypted PEM "
                "EC (P-256 or P-384) or RSA private key."
            ) from None
        if isinstance(private, ec.EllipticCurvePrivateKey):
            if private.curve.name not in _EC_ALGORITHMS:
                raise CryptoError(
                    f"The ACME account key uses the curve {private.curve.name}; use P-256 or P-384."
                )
            return jose.JWKEC(key=private), _EC_ALGORITHMS[private.curve.name]
        if isinstance(private, rsa.RSAPrivateKey):
            if private.key_size < 2048:
                raise CryptoError(
                    f"The ACME account key is RSA-{private.key_size}; use at least 2048 bits."
                )
            return jose.JWKRSA(key=private), jose.RS256
        raise CryptoError("The ACME account key must be an EC or RSA private key.")

    @property
    def thumbprint(self) -> str:
        """The RFC 7638 thumbprint (base64url), handy to recognise a key without showing it."""
        return jose.b64encode(self.jwk.public_key().thumbprint()).decode("ascii")


@dataclass(frozen=True)
class AccountInfo:
    """A registered ACME account as services store it.

    ``tos_url`` is the terms of service agreed to at registration (``None`` when the CA has none,
    or when the account was only looked up); ``contact`` is the e-mail address given, if any;
    ``eab_kid`` the External Account Binding key id used (never the HMAC key).
    """

    directory_url: str
    account_url: str
    tos_url: str | None
    contact: str | None
    eab_kid: str | None
