"""Renewal end to end against the real Pebble and BIND9, with an injected clock: a certificate
that enters its window is renewed by the scheduler's job (new chain, new files), its deploy
targets get the new files and the deploy command runs; one certificate whose authenticator broke
fails and backs off while two others renew."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

from certdesk.clock import FrozenClock
from certdesk.services import alerts, authenticators, certificates, deployment, jobs
from certdesk.services.authenticator_schemas import AuthenticatorUpdate
from certdesk.services.context import AppContext
from certdesk.services.notify import AlertKind
from certdesk.services.scheduler import RenewalScheduler
from certdesk.settings import Settings
from certdesk.storage.certificates import CertificateRepository
from tests.fixtures.bind import BindServer
from tests.fixtures.pebble import PebbleServer
from tests.integration.acme.helpers import openssl_verify
from tests.integration.issuance.helpers import (
    ACTOR,
    add_rfc2136,
    issue,
    make_csr,
    request,
    unique_domain,
    unique_name,
)
from tests.integration.renewal.helpers import row

pytestmark = [pytest.mark.pebble, pytest.mark.bind]

WRONG_SECRET = "d3Jvbmcgc2VjcmV0IGZvciB0aGUgdGVzdHMgb25seSE="


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))


@pytest.fixture
def pebble_ctx(tmp_path: Path, clock: FrozenClock) -> Iterator[AppContext]:
    settings = Settings(data_dir=tmp_path / "data", propagation_interval=0.05)
    opened = AppContext.open(settings, clock=clock)
    try:
        yield opened
    finally:
        opened.close()


def issued(ctx: AppContext, pebble: PebbleServer, bind: BindServer, auth: int | None = None) -> int:
    domain = unique_domain()
    auth = auth if auth is not None else add_rfc2136(ctx, bind)
    job = issue(ctx, request(pebble, unique_name(), make_csr(ctx, domain), {domain: auth}))
    assert job.state == "SUCCESS", job.error
    assert job.result is not None
    return int(job.result["certificate_id"])


def test_certificate_entering_its_window_is_renewed_and_deployed(
    pebble_ctx: AppContext,
    clock: FrozenClock,
    pebble: PebbleServer,
    bind_server: BindServer,
    tmp_path: Path,
) -> None:
    ctx = pebble_ctx
    cert_id = issued(ctx, pebble, bind_server)
    before = certificates.get(ctx, cert_id)
    crt_file = Path(before.certificate_path)
    old_chain = crt_file.read_bytes()
    record = tmp_path / "deployed.txt"
    hook = tmp_path / "reload.sh"
    hook.write_text('#!/bin/sh\necho "$CERTDESK_CERT_NAME $CERTDESK_FULLCHAIN" >> "$OUT"\n')
    hook.chmod(0o755)
    target_dir = tmp_path / "nginx"
    deployment.set_targets(
        ctx,
        cert_id,
        {
            "directory": {"path": str(target_dir), "key_mode": "0600"},
            "command": {"argv": [str(hook)], "env": {"OUT": str(record)}},
        },
    )

    old_key = ctx.box.decrypt(row(ctx, cert_id).private_key_enc)
    old_csr = row(ctx, cert_id).csr_pem
    with ctx.db.session() as session:
        CertificateRepository(session, ctx.box, ctx.clock).update(cert_id, new_key_on_renewal=True)

    scheduler = RenewalScheduler(ctx)
    assert scheduler.sweep().enqueued == ()  # years before its window
    clock.set(before.not_after - timedelta(days=before.renew_days) + timedelta(minutes=1))
    report = scheduler.sweep()
    ((due_id, job_id),) = report.enqueued
    assert due_id == cert_id
    done = jobs.run_job(ctx, job_id)
    assert done is not None and done.state == "SUCCESS", done and done.error
    # The job deployed the renewed certificate itself and recorded how.
    assert done.result is not None
    assert done.result["deploy"]["ok"] is True
    assert [step["name"] for step in done.result["deploy"]["steps"]] == ["directory", "command"]

    after = certificates.get(ctx, cert_id)
    assert after.serial != before.serial
    new_chain = crt_file.read_bytes()
    assert new_chain != old_chain
    openssl_verify(pebble.root_pem(), new_chain, tmp_path)
    leaf = x509.load_pem_x509_certificate(new_chain)
    assert format(leaf.serial_number, "x") == after.serial
    assert row(ctx, cert_id).failure_count == 0
    # New Key on Renewal: a new key, stored, in the certificate and in the files.
    new_key = ctx.box.decrypt(row(ctx, cert_id).private_key_enc)
    assert new_key != old_key
    assert row(ctx, cert_id).csr_pem not in (old_csr, "")
    new_public = (
        load_pem_private_key(new_key, None)
        .public_key()
        .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    )
    assert (
        leaf.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        == new_public
    )
    assert (target_dir / "fullchain.pem").read_bytes() == new_chain
    assert (target_dir / "privkey.pem").read_bytes() == new_key
    assert record.read_text() == f"{after.name} {target_dir / 'fullchain.pem'}\n"


def test_a_failed_deploy_keeps_the_certificate_and_alerts(
    pebble_ctx: AppContext,
    clock: FrozenClock,
    pebble: PebbleServer,
    bind_server: BindServer,
    tmp_path: Path,
) -> None:
    ctx = pebble_ctx
    cert_id = issued(ctx, pebble, bind_server)
    before = certificates.get(ctx, cert_id)
    hook = tmp_path / "fail.sh"
    hook.write_text('#!/bin/sh\necho "nginx: configuration test failed" >&2\nexit 3\n')
    hook.chmod(0o755)
    deployment.set_targets(ctx, cert_id, {"command": {"argv": [str(hook)]}})
    assert [a for a in alerts.active_alerts(ctx) if a.certificate == before.name] == []

    clock.set(before.not_after - timedelta(days=before.renew_days) + timedelta(minutes=1))
    ((_, job_id),) = RenewalScheduler(ctx).sweep().enqueued
    done = jobs.run_job(ctx, job_id)
    assert done is not None and done.state == "SUCCESS", done and done.error
    assert done.result is not None and done.result["deploy"]["ok"] is False
    assert certificates.get(ctx, cert_id).serial != before.serial
    kinds = {a.kind for a in alerts.active_alerts(ctx) if a.certificate == before.name}
    # (Pebble's new certificate is dated by the real clock, so it may look expiring too.)
    assert AlertKind.DEPLOY_FAILED in kinds
    (alert,) = [a for a in alerts.active_alerts(ctx) if a.kind == AlertKind.DEPLOY_FAILED]
    assert "command" in alert.message


def test_one_broken_authenticator_does_not_stop_the_others(
    pebble_ctx: AppContext, clock: FrozenClock, pebble: PebbleServer, bind_server: BindServer
) -> None:
    ctx = pebble_ctx
    broken_auth = add_rfc2136(ctx, bind_server)
    good = [issued(ctx, pebble, bind_server) for _ in range(2)]
    bad = issued(ctx, pebble, bind_server, broken_auth)
    authenticators.update(
        ctx, broken_auth, AuthenticatorUpdate(attributes={"key_secret": WRONG_SECRET}), ACTOR
    )
    serials = {cid: certificates.get(ctx, cid).serial for cid in [*good, bad]}
    latest_expiry = max(certificates.get(ctx, cid).not_after for cid in serials)
    clock.set(latest_expiry - timedelta(days=9))  # all three inside their 10 renew days

    scheduler = RenewalScheduler(ctx)
    report = scheduler.sweep()
    assert sorted(cid for cid, _ in report.enqueued) == sorted([*good, bad])
    outcomes = {}
    for cid, job_id in report.enqueued:
        done = jobs.run_job(ctx, job_id)
        assert done is not None
        outcomes[cid] = done
    assert {cid: o.state for cid, o in outcomes.items()} == {
        good[0]: "SUCCESS",
        good[1]: "SUCCESS",
        bad: "FAILED",
    }
    for cid in good:
        assert certificates.get(ctx, cid).serial != serials[cid]
    failed = row(ctx, bad)
    assert failed.failure_count == 1 and failed.last_error
    assert certificates.get(ctx, bad).serial == serials[bad]

    # The failed one waits for its backoff (planned by the job or, failing that, by the sweep);
    # nothing is enqueued again at once.
    again = scheduler.sweep()
    assert all(cid != bad for cid, _ in again.enqueued)
    assert row(ctx, bad).renew_at == clock.now() + timedelta(minutes=1)
    clock.advance(timedelta(minutes=1))
    assert [cid for cid, _ in scheduler.sweep().enqueued if cid == bad] == [bad]
