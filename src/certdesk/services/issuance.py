"""The issuance job: from a CSR to a stored certificate through ACME DNS-01, for a new
certificate (``acme.issue``) and for the renewal of a stored one (``acme.renew``) alike.

``issue`` is the shared core: account (registered once per directory) → order → every TXT record
written (authenticators in parallel) → one propagation check → answer → finalise with short polls
→ chain; the records are removed in every case, also when something fails, and the job row lists
them from before they are written until they are gone, so a crash leaves nothing behind that the
next start (``recover``) cannot remove. Progress has a percent and a sentence per step and domain.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from certdesk.acme import ACMEClient, IssuedCertificate, Order
from certdesk.dns.base import TXTRecord
from certdesk.dns.propagation import PropagationProgress
from certdesk.errors import ACMEError, CertdeskError, Conflict
from certdesk.services import audit, deployment, rekey, renewal_plans
from certdesk.services.accounts import AccountRequest, open_account
from certdesk.services.context import Actor, AppContext
from certdesk.services.deploy import DeployResult, DeployStep
from certdesk.services.dns_challenges import (
    PlannedRecord,
    load_authenticators,
    remove_records,
    remove_saved_records,
    wait_until_visible,
    write_records,
)
from certdesk.services.jobs import JobKind, RunningJob
from certdesk.storage.accounts import AccountRecord
from certdesk.storage.certificates import CertificateRepository, IssuedFacts, NewCertificate
from certdesk.storage.common import name_exists
from certdesk.storage.csrs import CSRRepository
from certdesk.storage.jobs import JobRecord, JobRepository
from certdesk.storage.models import CSRRow

ISSUE = "acme.issue"
RENEW = "acme.renew"
#: How long the CA may take to validate and issue once the challenges are answered.
FINALIZE_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class IssueSource:
    """What an order is made from: the CSR, the domain → authenticator map and the account."""

    csr_pem: bytes
    mapping: Mapping[str, int]
    account: AccountRequest


def plan_renewal(not_after: datetime, renew_days: int, now: datetime) -> tuple[datetime, str]:
    """A first plan stored with the row: ``renew_days`` before expiry ("Renew Certificate Days"),
    not in the past; ``renewal_plans`` then decides with the whole policy (ARI, short-lived
    certificates, emergencies, backoff) and overwrites it."""
    at = not_after - timedelta(days=renew_days)
    if at <= now:
        return now, f"less than {renew_days} days (Renew Certificate Days) left"
    return at, f"{renew_days} days before expiry (Renew Certificate Days)"


def issue(
    ctx: AppContext, job: RunningJob, source: IssueSource
) -> tuple[IssuedCertificate, AccountRecord]:
    """Run one order to its certificate; the TXT records are removed whatever happens."""
    directory = source.account.directory_url
    job.progress(2, f"Connecting to the ACME server {directory}")
    client, account = open_account(ctx, source.account)
    job.progress(10, f"Using the ACME account {account.account_url}")
    order = client.new_order(source.csr_pem)
    names = ", ".join(order.identifiers)
    job.progress(25, f"New order for certificate issuance placed for {names}")

    planned = []
    for task in order.authorizations:
        auth_id = source.mapping.get(task.label, source.mapping.get(task.domain))
        if auth_id is None:
            raise ACMEError(
                f"The order asks to validate {task.label}, which has no DNS authenticator in "
                "the mapping: map every domain of the CSR to an authenticator."
            )
        record = TXTRecord(domain=task.domain, fqdn=task.fqdn, value=task.value)
        planned.append(PlannedRecord(auth_id, task.label, record))
    if not planned:
        job.progress(70, f"The CA holds valid authorizations for {names} already")
        return _finish_order(ctx, job, client, order, account)

    loaded = load_authenticators(ctx, {p.authenticator_id for p in planned})
    job.set_dns_records([p.as_json() for p in planned])
    try:
        written = 0

        def on_written(item: PlannedRecord) -> None:
            nonlocal written
            written += 1
            name = loaded[item.authenticator_id].name
            job.progress(
                25 + 20 * written // len(planned),
                f"TXT record written for {item.label} ({item.record.fqdn}) with '{name}'",
            )

        write_records(loaded, planned, on_written)
        seen: set[tuple[str, str]] = set()
        started = time.monotonic()

        def on_check(update: PropagationProgress) -> None:
            if update.seen and (update.fqdn, str(update.nameserver)) not in seen:
                seen.add((update.fqdn, str(update.nameserver)))
                job.progress(
                    45 + min(24, 24 * len(seen) // len(planned)),
                    f"TXT record {update.fqdn} visible on {update.nameserver.describe()}",
                )

        job.progress(45, f"Waiting until the TXT records for {names} are visible")
        wait_until_visible(ctx, loaded, planned, on_check)
        job.progress(70, f"All TXT records visible after {time.monotonic() - started:.2f} s")
        client.answer(order)
        job.progress(75, f"DNS challenges answered; waiting for the CA to validate {names}")
        return _finish_order(ctx, job, client, order, account)
    finally:
        left = remove_records(loaded, planned)
        job.set_dns_records([p.as_json() for p in left])
        if not left:
            job.progress(job.percent, "TXT records removed")


def _finish_order(
    ctx: AppContext, job: RunningJob, client: ACMEClient, order: Order, account: AccountRecord
) -> tuple[IssuedCertificate, AccountRecord]:
    issued = client.finalize(order, deadline=ctx.clock.now() + FINALIZE_TIMEOUT)
    job.progress(90, f"Final order received from ACME server: certificate {issued.serial_hex}")
    return issued, account


def _facts(issued: IssuedCertificate) -> IssuedFacts:
    return IssuedFacts(
        chain_pem=issued.chain_pem.decode("ascii"),
        order_url=issued.order_url,
        not_before=issued.not_before,
        not_after=issued.not_after,
        serial=issued.serial_hex,
        issuer=issued.issuer,
    )


def _actor(arguments: Mapping[str, Any]) -> Actor:
    return Actor(username=str(arguments.get("requested_by") or "certdesk"), client="job")


# -- acme.issue -------------------------------------------------------------------------------


def run_issue(ctx: AppContext, job: RunningJob) -> dict[str, Any]:
    args = job.arguments
    name = str(args["name"])
    csr_id = int(args["csr_id"])
    secrets = job.secrets()
    with ctx.db.session() as session:
        repo = CSRRepository(session, ctx.box, ctx.clock)
        csr = repo.get(csr_id)
        key_pem = repo.private_key_pem(csr_id)
    mapping = {str(k): int(v) for k, v in dict(args["dns_mapping"]).items()}
    source = IssueSource(
        csr_pem=csr.csr_pem.encode("ascii"),
        mapping=mapping,
        account=AccountRequest(
            directory_url=str(args["acme_directory_uri"]),
            tos=bool(args.get("tos")),
            ca_bundle=args.get("ca_bundle"),
            contact_email=args.get("contact_email"),
            eab_kid=args.get("eab_kid"),
            eab_hmac_key=secrets.get("eab_hmac_key"),
        ),
    )
    started = time.monotonic()
    issued, account = issue(ctx, job, source)
    renew_days = int(args["renew_days"])
    renew_at, reason = plan_renewal(issued.not_after, renew_days, ctx.clock.now())
    with ctx.db.session() as session:
        if name_exists(session, CSRRow.name, name):
            raise Conflict(f"A CSR named {name!r} was created meanwhile.", "name")
        record = CertificateRepository(session, ctx.box, ctx.clock).add(
            NewCertificate(
                name=name,
                private_key_pem=key_pem,
                csr_pem=csr.csr_pem,
                csr_id=csr_id,
                acme_directory=account.directory_url,
                acme_account_id=account.id,
                domains_authenticators=mapping,
                renew_days=renew_days,
                issued=_facts(issued),
                renew_at=renew_at,
                renew_reason=reason,
            )
        )
        JobRepository(session, ctx.box).link_certificate(job.id, record.id)
        audit.record(
            ctx,
            _actor(args),
            "certificate.create",
            object_kind="certificate",
            object_id=record.id,
            object_name=name,
            detail={"serial": issued.serial_hex, "job_id": job.id},
            session=session,
        )
        ctx.files.write(name, key_pem=key_pem, chain_pem=issued.chain_pem)
    renewal_plans.replan(ctx, record.id, ctx.clock.now())
    job.progress(100, f"ACME certificate {name} created")
    result = _result(record.id, name, issued, time.monotonic() - started)
    result["deploy"] = _deploy(ctx, job, record.id, name)
    return result


def _deploy(ctx: AppContext, job: RunningJob, certificate_id: int, name: str) -> dict[str, Any]:
    """Deploy the stored certificate to its targets; the outcome (``DeployResult.as_dict()``)
    goes into the job's result, where a failure becomes a ``deploy_failed`` alert. The
    certificate is stored either way, so a failed deploy does not fail the job."""
    try:
        outcome = deployment.deploy_certificate(ctx, certificate_id)
    except CertdeskError as exc:
        step = DeployStep(name="deploy", ok=False, seconds=0.0, error=exc.message)
        outcome = DeployResult(steps=(step,))
    if outcome.steps:
        state = "deployed" if outcome.ok else f"deploy failed ({outcome.error})"
        job.progress(100, f"ACME certificate {name} {state}")
    return outcome.as_dict()


def _result(
    certificate_id: int, name: str, issued: IssuedCertificate, seconds: float
) -> dict[str, Any]:
    return {
        "certificate_id": certificate_id,
        "name": name,
        "serial": issued.serial_hex,
        "issuer": issued.issuer,
        "not_before": issued.not_before.isoformat(),
        "not_after": issued.not_after.isoformat(),
        "seconds": round(seconds, 3),
    }


# -- acme.renew -------------------------------------------------------------------------------


def run_renew(ctx: AppContext, job: RunningJob) -> dict[str, Any]:
    certificate_id = int(job.arguments["certificate_id"])
    with ctx.db.session() as session:
        repo = CertificateRepository(session, ctx.box, ctx.clock)
        cert = repo.get(certificate_id)
        key_pem = repo.private_key_pem(certificate_id)
    new_key: tuple[bytes, str] | None = None
    csr_pem = cert.csr_pem.encode("ascii")
    if cert.new_key_on_renewal:
        job.progress(1, "Generating a new key and CSR (New Key on Renewal)")
        key_pem, csr_pem = rekey.new_key_and_csr(csr_pem)
        new_key = (key_pem, csr_pem.decode("ascii"))
    source = IssueSource(
        csr_pem=csr_pem,
        mapping=cert.domains_authenticators,
        account=AccountRequest(directory_url=cert.acme_directory, tos=True),
    )
    started = time.monotonic()
    try:
        issued, account = issue(ctx, job, source)
    except CertdeskError as exc:
        renewal_plans.record_failure(ctx, certificate_id, exc.message, ctx.clock.now())
        raise
    renew_at, reason = plan_renewal(issued.not_after, cert.renew_days, ctx.clock.now())
    with ctx.db.session() as session:
        record = CertificateRepository(session, ctx.box, ctx.clock).record_issued(
            certificate_id,
            _facts(issued),
            acme_account_id=account.id,
            renew_at=renew_at,
            renew_reason=reason,
            new_key=new_key,
        )
        audit.record(
            ctx,
            _actor(job.arguments),
            "certificate.renew",
            object_kind="certificate",
            object_id=certificate_id,
            object_name=record.name,
            detail={
                "serial": issued.serial_hex,
                "job_id": job.id,
                "new_key": new_key is not None,
            },
            session=session,
        )
        ctx.files.write(record.name, key_pem=key_pem, chain_pem=issued.chain_pem)
    renewal_plans.record_success(ctx, certificate_id, ctx.clock.now())
    job.progress(100, f"ACME certificate {record.name} renewed")
    result = _result(certificate_id, record.name, issued, time.monotonic() - started)
    result["deploy"] = _deploy(ctx, job, certificate_id, record.name)
    return result


# -- after a crash ----------------------------------------------------------------------------


def recover(ctx: AppContext, record: JobRecord) -> str:
    """Remove the TXT records an interrupted job left; a note for its error message."""
    left = remove_saved_records(ctx, record.dns_records)
    with ctx.db.session() as session:
        repo = JobRepository(session, ctx.box)
        if left:
            repo.set_dns_records_any(record.id, [r for r in record.dns_records if _in(r, left)])
        else:
            repo.clear_dns_records(record.id)
    if record.kind == RENEW and record.certificate_id is not None:
        renewal_plans.record_failure(
            ctx,
            record.certificate_id,
            "The renewal was interrupted; it will be tried again.",
            ctx.clock.now(),
        )
    if left:
        return f"These TXT records could not be removed: {', '.join(left)}."
    if record.dns_records:
        return f"Its {len(record.dns_records)} TXT record(s) were removed."
    return ""


def _in(saved: Mapping[str, Any], left: list[str]) -> bool:
    return any(item.startswith(str(saved.get("fqdn"))) for item in left)


JOB_KINDS: dict[str, JobKind] = {
    ISSUE: JobKind(run=run_issue, recover=recover),
    RENEW: JobKind(run=run_renew, recover=recover),
}
