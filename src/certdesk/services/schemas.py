"""Pydantic models at the boundary of the CSR use cases: what the API, the web UI and the CLI send
in and get back. Public (output) models never have a field that can carry key material."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ShortStr = Annotated[str, StringConstraints(max_length=1024)]
PemStr = Annotated[str, StringConstraints(max_length=65536)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BasicConstraintsIn(_In):
    enabled: bool = False
    ca: bool = False
    path_length: int | None = None
    extension_critical: bool = False


class AuthorityKeyIdentifierIn(_In):
    enabled: bool = False
    authority_cert_issuer: bool = False
    extension_critical: bool = False


class ExtendedKeyUsageIn(_In):
    enabled: bool = False
    usages: Annotated[list[ShortStr], Field(max_length=20)] = Field(default_factory=list)
    extension_critical: bool = False


class KeyUsageIn(_In):
    enabled: bool = False
    digital_signature: bool = False
    content_commitment: bool = False
    key_encipherment: bool = False
    data_encipherment: bool = False
    key_agreement: bool = False
    key_cert_sign: bool = False
    crl_sign: bool = False
    encipher_only: bool = False
    decipher_only: bool = False
    extension_critical: bool = False


class CertExtensionsIn(_In):
    BasicConstraints: BasicConstraintsIn = Field(default_factory=BasicConstraintsIn)
    AuthorityKeyIdentifier: AuthorityKeyIdentifierIn = Field(
        default_factory=AuthorityKeyIdentifierIn
    )
    ExtendedKeyUsage: ExtendedKeyUsageIn = Field(default_factory=ExtendedKeyUsageIn)
    KeyUsage: KeyUsageIn = Field(default_factory=KeyUsageIn)


class CSRCreate(_In):
    """Create a CSR and its private key (``create_type`` CERTIFICATE_CREATE_CSR)."""

    name: ShortStr
    create_type: Literal["CERTIFICATE_CREATE_CSR"] = "CERTIFICATE_CREATE_CSR"
    profile: ShortStr | None = None
    key_type: ShortStr | None = None
    key_length: int | None = None
    ec_curve: ShortStr | None = None
    digest_algorithm: ShortStr | None = None
    country: ShortStr | None = None
    state: ShortStr | None = None
    city: ShortStr | None = None
    organization: ShortStr | None = None
    organizational_unit: ShortStr | None = None
    email: ShortStr | None = None
    common: ShortStr | None = None
    san: Annotated[list[ShortStr], Field(max_length=100)] = Field(default_factory=list)
    cert_extensions: CertExtensionsIn | None = None


class CSRImport(_In):
    """Import a CSR with its private key (``create_type`` CERTIFICATE_CREATE_IMPORTED_CSR).

    ``CSR`` and ``privatekey`` are PEM text, or base64 of DER."""

    name: ShortStr
    create_type: Literal["CERTIFICATE_CREATE_IMPORTED_CSR"]
    CSR: PemStr
    privatekey: PemStr
    passphrase: ShortStr | None = None


class CSRRename(_In):
    name: ShortStr


class CSRSummary(BaseModel):
    """A row of the Certificate Signing Requests card."""

    id: int
    name: str
    common: str | None
    san: list[str]
    key_type: str
    key_length: int | None
    ec_curve: str | None
    source: str
    created_at: datetime


class CSRPage(BaseModel):
    items: list[CSRSummary]
    total: int


class CSRDetails(BaseModel):
    """What the Edit CSR screen shows (truenas-spec §4.3), never the private key."""

    id: int
    name: str
    create_type: str
    cert_type: str
    source: str
    key_type: str
    key_length: int | None
    ec_curve: str | None
    digest_algorithm: str | None
    common: str | None
    san: list[str]
    DN: str
    country: str | None
    state: str | None
    city: str | None
    organization: str | None
    organizational_unit: str | None
    email: str | None
    extensions: dict[str, str]
    root_path: str
    csr_path: str
    privatekey_path: str
    fingerprint_sha256: str
    created_at: datetime
    updated_at: datetime
    warnings: list[str]


class ChoiceOut(BaseModel):
    value: str
    label: str
    verdict: Literal["recommended", "warning", "refused"]
    reason: str


class ProfileOut(BaseModel):
    name: str
    key_type: str
    key_length: int | None
    ec_curve: str | None
    digest_algorithm: str
    cert_extensions: CertExtensionsIn


class ChoicesOut(BaseModel):
    key_types: list[ChoiceOut]
    key_lengths: list[ChoiceOut]
    ec_curves: list[ChoiceOut]
    digest_algorithms: list[ChoiceOut]
    countries: list[ChoiceOut]
    extended_key_usages: list[ChoiceOut]
    key_usages: list[ChoiceOut]
    profiles: list[ProfileOut]
    acme_directories: list[ChoiceOut]
    authenticator_types: list[ChoiceOut]


class DownloadFile(BaseModel):
    """A file handed to the user; only explicit downloads carry key material, and are audited."""

    filename: str
    media_type: str
    content: bytes


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    object_kind: str | None
    object_id: int | None
    object_name: str | None
    detail: dict[str, object] | None
    client: str | None


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    total: int
