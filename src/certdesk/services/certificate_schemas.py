"""Pydantic models at the boundary of the ACME certificate and job use cases: what the API, the
web UI and the CLI send in and get back. Input models keep types loose where the service checks
the values itself (``renew_days`` range, names, URIs), so that every error of a request is
reported at once; output models never carry key material or secrets (EAB HMAC keys are
redacted from job arguments)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ShortStr = Annotated[str, StringConstraints(max_length=1024)]
PemStr = Annotated[str, StringConstraints(max_length=262144)]

DEFAULT_RENEW_DAYS = 10
MIN_RENEW_DAYS = 1
MAX_RENEW_DAYS = 30


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ACMECertificateCreate(_In):
    """Create an ACME certificate from a CSR (truenas-spec §7.1, plus contact, EAB, CA bundle)."""

    name: ShortStr
    csr_id: int
    tos: bool = False
    renew_days: int = DEFAULT_RENEW_DAYS
    acme_directory_uri: ShortStr
    ca_bundle: PemStr | None = Field(
        default=None,
        description="PEM certificates to trust for the ACME server's HTTPS (private ACME "
        "servers such as Pebble or step-ca); kept per directory.",
    )
    contact_email: ShortStr | None = None
    eab_kid: ShortStr | None = None
    eab_hmac_key: ShortStr | None = Field(default=None, json_schema_extra={"writeOnly": True})
    dns_mapping: Annotated[dict[ShortStr, int], Field(max_length=100)] = Field(
        default_factory=dict,
        description="Domain of the CSR (bare, or with DNS:) → DNS authenticator id.",
    )


class CertificateUpdate(_In):
    name: ShortStr | None = None
    renew_days: int | None = None
    new_key_on_renewal: bool | None = Field(
        default=None, description="Renewals order with a newly generated key and CSR."
    )
    deploy: dict[ShortStr, Any] | None = Field(
        default=None,
        description='Deploy targets after issue and renewal: {"directory": {"path", '
        '"cert_name", "key_name", "chain_name", "owner", "group", "cert_mode", '
        '"key_mode"}, "command": {"argv", "env", "timeout"}}; null or {} removes them.',
    )


class JobCreated(BaseModel):
    job_id: int


class JobProgress(BaseModel):
    percent: int
    description: str


class JobError(BaseModel):
    """Why a job failed: the message, the CA's problem document whole, and field errors."""

    message: str
    kind: str
    acme_problem: dict[str, Any] | None = None
    errors: list[dict[str, str]] = Field(default_factory=list)


class JobOut(BaseModel):
    id: int
    kind: str
    state: Literal["WAITING", "RUNNING", "SUCCESS", "FAILED", "ABORTED"]
    progress: JobProgress
    arguments: dict[str, Any]
    result: dict[str, Any] | None
    error: JobError | None
    certificate_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobPage(BaseModel):
    items: list[JobOut]
    total: int


class CertificateSummary(BaseModel):
    """A row of the Certificates card."""

    id: int
    name: str
    domains: list[str]
    issuer: str
    not_after: datetime
    days_left: int
    renew_at: datetime | None
    last_error: str | None
    revoked_at: datetime | None
    renew_reason: str | None = None


class CertificatePage(BaseModel):
    items: list[CertificateSummary]
    total: int


class CertificateDetails(BaseModel):
    """One certificate; never the private key."""

    id: int
    name: str
    domains: list[str]
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    days_left: int
    renew_days: int
    renew_at: datetime | None
    renew_reason: str | None
    last_error: str | None
    failure_count: int = 0
    new_key_on_renewal: bool = False
    deploy: dict[str, Any] | None = Field(
        default=None, description="The deploy targets (command environment values redacted)."
    )
    last_deploy: dict[str, Any] | None = Field(
        default=None,
        description="The latest deploy's outcome: ok, steps (name, ok, seconds, error, "
        "detail, output_tail), job_id, finished_at.",
    )
    acme_directory: str
    order_url: str | None
    dns_mapping: dict[str, str]
    csr_id: int | None
    certificate_path: str
    privatekey_path: str
    revoked_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CertificateDeleted(BaseModel):
    """What a delete did: ``revoked`` says whether the CA revoked it first."""

    id: int
    name: str
    revoked: bool
    detail: str
