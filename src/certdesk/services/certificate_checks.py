"""Everything checked in a Create ACME Certificate request before any network call, reported
at once with field paths: the name (rules, and free among CSRs, certificates and certificates
being issued: they share the files directory), the CSR (exists, and passes the public-CA lint),
``tos``, ``renew_days`` (1–30), the directory URI and CA bundle, the contact e-mail, External
Account Binding given in pairs, and ``dns_mapping`` (truenas-spec §7.4): every domain of the CSR
mapped to an existing authenticator, keys bare or with ``DNS:``, wildcards only as ``*.``, no
trailing dot, no key that is not a domain of the CSR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from certdesk.acme import check_ca_bundle, check_directory_uri
from certdesk.crypto import csr as csr_mod
from certdesk.crypto import details as details_mod
from certdesk.crypto import names
from certdesk.crypto.lint import lint_for_public_ca
from certdesk.errors import CertdeskError, FieldError, InvalidInput, NotFound
from certdesk.services import jobs
from certdesk.services.certificate_schemas import (
    MAX_RENEW_DAYS,
    MIN_RENEW_DAYS,
    ACMECertificateCreate,
)
from certdesk.services.context import AppContext
from certdesk.services.dns_challenges import authenticator_names
from certdesk.services.issuance import ISSUE
from certdesk.storage.common import name_exists
from certdesk.storage.csrs import CSRRecord, CSRRepository
from certdesk.storage.models import CertificateRow, CSRRow

_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


@dataclass(frozen=True)
class CheckedCreate:
    """A request that passed: the CSR's domains and the mapping keyed by them."""

    domains: tuple[str, ...]
    mapping: dict[str, int]


def check_create(ctx: AppContext, data: ACMECertificateCreate) -> CheckedCreate:
    """Every problem of ``data`` as one ``InvalidInput``; the normalised mapping otherwise."""
    errors: list[FieldError] = []
    errors += _check_name(ctx, data.name)
    csr = _find_csr(ctx, data.csr_id, errors)
    if not data.tos:
        errors.append(
            FieldError(
                "tos",
                "Agree to the terms of service of the ACME server (Terms of Service) to "
                "create a certificate.",
            )
        )
    if not MIN_RENEW_DAYS <= data.renew_days <= MAX_RENEW_DAYS:
        errors.append(
            FieldError(
                "renew_days",
                f"Renew Certificate Days must be between {MIN_RENEW_DAYS} and "
                f"{MAX_RENEW_DAYS}; {DEFAULT_HINT}",
            )
        )
    errors += check_directory_uri(data.acme_directory_uri)
    if data.ca_bundle:
        errors += check_ca_bundle(data.ca_bundle)
    errors += _check_account_fields(data)
    domains: tuple[str, ...] = ()
    mapping: dict[str, int] = {}
    if csr is not None:
        try:
            parsed = csr_mod.load_csr(csr.csr_pem.encode("ascii"))
        except CertdeskError as exc:
            errors.append(FieldError("csr_id", f"The stored CSR cannot be read: {exc.message}"))
        else:
            domains = details_mod.domain_labels(details_mod.csr_details(parsed))
            errors += [
                FieldError("csr_id", f"A public ACME CA would refuse this CSR: {problem}.")
                for problem in lint_for_public_ca(parsed)
            ]
            mapping = _check_mapping(ctx, data.dns_mapping, domains, errors)
    if errors:
        raise InvalidInput(errors)
    return CheckedCreate(domains=domains, mapping=mapping)


DEFAULT_HINT = "10 is the default."


def _check_name(ctx: AppContext, name: str) -> list[FieldError]:
    problems = names.check_name(name)
    if problems:
        return problems
    with ctx.db.session() as session:
        csr_taken = name_exists(session, CSRRow.name, name)
        cert_taken = name_exists(session, CertificateRow.name, name)
    if csr_taken:
        return [
            FieldError(
                "name",
                f"A CSR named {name!r} exists: certificates and CSRs share the files "
                "directory, so choose another name.",
            )
        ]
    if cert_taken:
        return [FieldError("name", f"A certificate named {name!r} exists: choose another name.")]
    for job in jobs.active_jobs(ctx, [ISSUE]):
        if job.arguments.get("name") == name:
            return [
                FieldError(
                    "name",
                    f"A certificate named {name!r} is being issued right now (job {job.id}): "
                    "choose another name.",
                )
            ]
    return []


def _find_csr(ctx: AppContext, csr_id: int, errors: list[FieldError]) -> CSRRecord | None:
    try:
        with ctx.db.session() as session:
            return CSRRepository(session, ctx.box, ctx.clock).get(csr_id)
    except NotFound:
        errors.append(
            FieldError("csr_id", f"No CSR with id {csr_id} exists: choose an existing CSR.")
        )
        return None


def _check_account_fields(data: ACMECertificateCreate) -> list[FieldError]:
    errors: list[FieldError] = []
    if data.contact_email:
        try:
            validate_email(data.contact_email, check_deliverability=False)
        except EmailNotValidError as exc:
            errors.append(FieldError("contact_email", f"Not a valid e-mail address: {exc}"))
    if data.eab_hmac_key and not data.eab_kid:
        errors.append(FieldError("eab_kid", "Give the EAB key ID that goes with the HMAC key."))
    if data.eab_kid and not data.eab_hmac_key:
        errors.append(FieldError("eab_hmac_key", "Give the EAB HMAC key for this key ID."))
    if data.eab_hmac_key and not _BASE64URL.match(data.eab_hmac_key.strip()):
        errors.append(
            FieldError(
                "eab_hmac_key",
                "The EAB HMAC key must be base64url text, exactly as the CA shows it.",
            )
        )
    return errors


def _check_mapping(
    ctx: AppContext,
    given: dict[str, int],
    domains: tuple[str, ...],
    errors: list[FieldError],
) -> dict[str, int]:
    known = authenticator_names(ctx, given.values())
    mapping: dict[str, int] = {}
    flagged: set[str] = set()
    for key, auth_id in given.items():
        path = f"dns_mapping.{key}"
        bare = key.strip()
        if bare[:4].upper() == "DNS:":
            bare = bare[4:].strip()
        if auth_id not in known:
            errors.append(
                FieldError(
                    path,
                    f"Provided DNS authenticator id {auth_id} for {key} does not exist: create "
                    "it first or choose an existing one.",
                )
            )
        if bare.endswith("."):
            errors.append(FieldError(path, f"Domain {key} name cannot end with a period."))
            continue
        if "*" in bare and not (bare.startswith("*.") and "*" not in bare[2:]):
            errors.append(
                FieldError(
                    path,
                    "Wildcards must be at the start of domain name followed by a period, "
                    "as in *.example.com.",
                )
            )
            continue
        try:
            label = names.check_dns_name(bare)
        except ValueError:
            label = bare.lower()
        if label not in domains:
            listed = ", ".join(domains) or "none"
            errors.append(
                FieldError(path, f"{key} is not specified in the CSR (its domains: {listed}).")
            )
            continue
        flagged.add(label)
        if label in mapping and mapping[label] != auth_id:
            errors.append(
                FieldError(path, f"{label} is mapped twice, to different authenticators.")
            )
        mapping[label] = auth_id
    for domain in domains:
        if domain not in flagged:
            errors.append(
                FieldError(
                    f"dns_mapping.{domain}",
                    f"Please provide a DNS authenticator id for {domain}.",
                )
            )
    return mapping
