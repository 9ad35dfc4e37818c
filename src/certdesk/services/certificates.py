"""ACME certificate use cases: create (validated, then issued by a job), list, show, rename,
change renew days, delete (revoking at the CA first), download, renew.

``create_acme`` checks everything it can before any network call and reports every problem at
once (truenas-spec §7.1 and §7.4, plus the CA-policy lint of the CSR), then enqueues an
``acme.issue`` job and returns its id; the job itself lives in ``services/issuance.py``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from certdesk.crypto import csr as csr_mod
from certdesk.crypto import details as details_mod
from certdesk.crypto import names
from certdesk.errors import ACMEError, CertdeskError, Conflict, FieldError, InvalidInput
from certdesk.services import audit, deployment, downloads, jobs, renewal_plans
from certdesk.services.accounts import client_for_account
from certdesk.services.certificate_checks import check_create
from certdesk.services.certificate_schemas import (
    MAX_RENEW_DAYS,
    MIN_RENEW_DAYS,
    ACMECertificateCreate,
    CertificateDeleted,
    CertificateDetails,
    CertificatePage,
    CertificateSummary,
    CertificateUpdate,
    JobCreated,
)
from certdesk.services.context import Actor, AppContext
from certdesk.services.deploy_targets import validate_targets
from certdesk.services.dns_challenges import authenticator_names
from certdesk.services.issuance import ISSUE, RENEW
from certdesk.services.paging import check_page
from certdesk.services.schemas import DownloadFile
from certdesk.storage.certificates import CertificateRecord, CertificateRepository
from certdesk.storage.common import name_exists
from certdesk.storage.models import CSRRow

MAX_PAGE = 500

__all__ = [
    "create_acme",
    "delete",
    "get",
    "list_certificates",
    "renew",
    "update",
]


def create_acme(ctx: AppContext, data: ACMECertificateCreate, actor: Actor) -> JobCreated:
    """Validate ``data`` completely (no network), then start the issuance job."""
    checked = check_create(ctx, data)
    arguments = {
        "name": data.name,
        "csr_id": data.csr_id,
        "tos": data.tos,
        "renew_days": data.renew_days,
        "acme_directory_uri": data.acme_directory_uri.strip(),
        "ca_bundle": data.ca_bundle,
        "contact_email": data.contact_email or None,
        "eab_kid": data.eab_kid or None,
        "eab_hmac_key": deployment.REDACTED if data.eab_hmac_key else None,
        "dns_mapping": checked.mapping,
        "requested_by": actor.username,
    }
    secrets = {"eab_hmac_key": data.eab_hmac_key} if data.eab_hmac_key else None
    job_id = jobs.enqueue(ctx, ISSUE, arguments, secrets=secrets)
    return JobCreated(job_id=job_id)


# -- reads ------------------------------------------------------------------------------------


def _days_left(record: CertificateRecord, now: datetime) -> int:
    return (record.not_after - now).days


def domains_of(record: CertificateRecord) -> list[str]:
    try:
        info = details_mod.csr_details(csr_mod.load_csr(record.csr_pem.encode("ascii")))
    except CertdeskError:
        return sorted(record.domains_authenticators)
    return list(details_mod.domain_labels(info))


def _summary(record: CertificateRecord, now: datetime) -> CertificateSummary:
    return CertificateSummary(
        id=record.id,
        name=record.name,
        domains=domains_of(record),
        issuer=record.issuer,
        not_after=record.not_after,
        days_left=_days_left(record, now),
        renew_at=record.renew_at,
        last_error=record.last_error,
        revoked_at=record.revoked_at,
        renew_reason=record.renew_reason,
    )


def _details(ctx: AppContext, record: CertificateRecord) -> CertificateDetails:
    names_by_id = authenticator_names(ctx, record.domains_authenticators.values())
    paths = ctx.files.paths(record.name)
    return CertificateDetails(
        id=record.id,
        name=record.name,
        domains=domains_of(record),
        issuer=record.issuer,
        serial=record.serial,
        not_before=record.not_before,
        not_after=record.not_after,
        days_left=_days_left(record, ctx.clock.now()),
        renew_days=record.renew_days,
        renew_at=record.renew_at,
        renew_reason=record.renew_reason,
        last_error=record.last_error,
        failure_count=record.failure_count,
        new_key_on_renewal=record.new_key_on_renewal,
        deploy=deployment.shown_targets(record.deploy),
        last_deploy=deployment.last_deploy(ctx, record.id),
        acme_directory=record.acme_directory,
        order_url=record.order_url,
        dns_mapping={
            domain: names_by_id.get(auth_id, f"(deleted authenticator {auth_id})")
            for domain, auth_id in record.domains_authenticators.items()
        },
        csr_id=record.csr_id,
        certificate_path=str(paths.crt),
        privatekey_path=str(paths.key),
        revoked_at=record.revoked_at,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _record(ctx: AppContext, certificate_id: int) -> CertificateRecord:
    with ctx.db.session() as session:
        return CertificateRepository(session, ctx.box, ctx.clock).get(certificate_id)


def list_certificates(ctx: AppContext, limit: int = 50, offset: int = 0) -> CertificatePage:
    check_page(limit, offset, MAX_PAGE)
    with ctx.db.session() as session:
        records, total = CertificateRepository(session, ctx.box, ctx.clock).list(limit, offset)
    now = ctx.clock.now()
    return CertificatePage(items=[_summary(r, now) for r in records], total=total)


def get(ctx: AppContext, certificate_id: int) -> CertificateDetails:
    return _details(ctx, _record(ctx, certificate_id))


def id_for_name(ctx: AppContext, name: str) -> int:
    with ctx.db.session() as session:
        return CertificateRepository(session, ctx.box, ctx.clock).get_by_name(name).id


# -- changes ----------------------------------------------------------------------------------


def update(
    ctx: AppContext, certificate_id: int, data: CertificateUpdate, actor: Actor
) -> CertificateDetails:
    """Rename (files too), change Renew Certificate Days (the renewal is planned again), New Key
    on Renewal, and the deploy targets (``deploy``: null or {} removes them)."""
    errors: list[FieldError] = []
    set_deploy = "deploy" in data.model_fields_set
    targets: dict[str, object] | None = None
    if set_deploy and data.deploy:
        try:
            targets = validate_targets(data.deploy).model_dump(mode="json", exclude_none=True)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if data.name is not None:
        errors.extend(names.check_name(data.name))
    if data.renew_days is not None and not MIN_RENEW_DAYS <= data.renew_days <= MAX_RENEW_DAYS:
        errors.append(
            FieldError(
                "renew_days",
                f"Renew Certificate Days must be between {MIN_RENEW_DAYS} and {MAX_RENEW_DAYS}.",
            )
        )
    if errors:
        raise InvalidInput(errors)
    with ctx.db.session() as session:
        repo = CertificateRepository(session, ctx.box, ctx.clock)
        old = repo.get(certificate_id)
        record = old
        if data.name is not None and data.name != old.name:
            if name_exists(session, CSRRow.name, data.name):
                raise Conflict(
                    f"A CSR named {data.name!r} already exists: certificates and CSRs share the "
                    "files directory, so choose another name.",
                    "name",
                )
            record = repo.rename(certificate_id, data.name)
            ctx.files.rename(old.name, data.name)
        days_changed = data.renew_days is not None and data.renew_days != old.renew_days
        if days_changed:
            record = repo.update(certificate_id, renew_days=data.renew_days)
        if data.new_key_on_renewal is not None:
            record = repo.update(certificate_id, new_key_on_renewal=data.new_key_on_renewal)
        if set_deploy:
            record = repo.set_deploy(certificate_id, targets or None)
        if _changed(record, old):
            audit.record(
                ctx,
                actor,
                "certificate.update",
                object_kind="certificate",
                object_id=certificate_id,
                object_name=record.name,
                detail={
                    "old_name": old.name,
                    "renew_days": record.renew_days,
                    "new_key_on_renewal": record.new_key_on_renewal,
                    "deploy_changed": record.deploy != old.deploy,
                },
                session=session,
            )
    if days_changed:
        renewal_plans.replan(ctx, certificate_id, ctx.clock.now())
        record = _record(ctx, certificate_id)
    return _details(ctx, record)


def _changed(new: CertificateRecord, old: CertificateRecord) -> bool:
    """Whether an update changed anything (the timestamp aside)."""
    return replace(new, updated_at=old.updated_at) != old


def delete(ctx: AppContext, certificate_id: int, force: bool, actor: Actor) -> CertificateDeleted:
    """Revoke at the CA (unless expired or revoked already), then delete row and files.

    A failed revocation stops the deletion unless ``force``; the result and the audit log say
    whether the certificate was revoked."""
    record = _record(ctx, certificate_id)
    now = ctx.clock.now()
    revoked = False
    if record.revoked_at is not None:
        detail = f"Already revoked at {record.revoked_at.isoformat(timespec='seconds')}."
        revoked = True
    elif record.not_after <= now:
        detail = "Expired, so not revoked."
    elif record.acme_account_id is None:
        detail = "Not revoked: the ACME account it was issued with is gone."
        if not force:
            raise Conflict(
                f"Cannot revoke certificate '{record.name}': its ACME account is gone. Use "
                "Force to delete it without revoking."
            )
    else:
        try:
            client = client_for_account(ctx, record.acme_account_id)
            client.revoke(record.chain_pem.encode("ascii"))
            revoked = True
            detail = "Revoked at the CA."
        except CertdeskError as exc:
            if not force:
                raise ACMEError(
                    f"Failed to revoke certificate '{record.name}': {exc.message} The "
                    "certificate was not deleted; use Force to delete it without revoking.",
                    exc.problem if isinstance(exc, ACMEError) else None,
                ) from exc
            detail = f"Deleted without revoking (Force): revocation failed: {exc.message}"
    with ctx.db.session() as session:
        CertificateRepository(session, ctx.box, ctx.clock).delete(certificate_id)
        audit.record(
            ctx,
            actor,
            "certificate.delete",
            object_kind="certificate",
            object_id=certificate_id,
            object_name=record.name,
            detail={"force": force, "revoked": revoked, "detail": detail},
            session=session,
        )
        ctx.files.remove(record.name)
    return CertificateDeleted(id=certificate_id, name=record.name, revoked=revoked, detail=detail)


def renew(ctx: AppContext, certificate_id: int, actor: Actor) -> JobCreated:
    """Start a renewal job: a new order with the stored CSR and key, the stored mapping."""
    record = _record(ctx, certificate_id)
    for job in jobs.active_jobs(ctx, [RENEW]):
        if job.arguments.get("certificate_id") == certificate_id:
            raise Conflict(f"Certificate '{record.name}' is being renewed already (job {job.id}).")
    job_id = jobs.enqueue(
        ctx,
        RENEW,
        {"certificate_id": certificate_id, "name": record.name, "requested_by": actor.username},
        certificate_id=certificate_id,
    )
    return JobCreated(job_id=job_id)


# -- downloads --------------------------------------------------------------------------------


def certificate_file(ctx: AppContext, certificate_id: int) -> DownloadFile:
    record = _record(ctx, certificate_id)
    return downloads.pem_file(
        record.name, "crt", "application/pem-certificate-chain", record.chain_pem
    )


def private_key_file(ctx: AppContext, certificate_id: int, actor: Actor) -> DownloadFile:
    """The private key as PEM; every hand-out is in the audit log."""
    return downloads.private_key_file(
        ctx, actor, "certificate", certificate_id, CertificateRepository
    )
