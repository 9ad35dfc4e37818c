"""ARI decisions against a local HTTPS server serving ``renewalInfo`` (the scripted CA; Pebble
2.4 has none), with a frozen clock: the window drives the plan, an unchanged window keeps its
chosen time, a moved one gets a new one, a window already over makes the scheduler renew at
once, Retry-After is honoured, and a CA without ARI or failing leaves Renew Certificate Days."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certdesk.acme.renewal import certificate_id
from certdesk.clock import FrozenClock
from certdesk.services.ari import ARIPoller
from certdesk.services.context import AppContext
from certdesk.services.renewal_policy import RenewalRule
from certdesk.services.scheduler import RenewalScheduler
from certdesk.storage.models import ACMEAccountRow, CertificateRow, JobRow
from tests.integration.acme.scripted_ca import Reply, ScriptedCA
from tests.integration.renewal.conftest import NOW
from tests.integration.renewal.helpers import row

DAY = timedelta(days=1)


@pytest.fixture
def ca() -> Iterator[ScriptedCA]:
    server = ScriptedCA().start()
    server.script(
        "GET", "/dir", Reply(200, server.directory(renewalInfo=server.url("/renewal-info")))
    )
    try:
        yield server
    finally:
        server.stop()


def leaf_pem(not_before: datetime, not_after: datetime) -> bytes:
    issuer_key, key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ari.example")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
        .sign(issuer_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def add_ari_certificate(ctx: AppContext, ca: ScriptedCA, name: str = "web") -> tuple[int, str]:
    """A 90-day certificate (60 days left) from ``ca``; returns its id and its ARI path."""
    not_before, not_after = NOW - 30 * DAY, NOW + 60 * DAY
    pem = leaf_pem(not_before, not_after)
    with ctx.db.session() as session:
        account = session.query(ACMEAccountRow).filter_by(directory_url=ca.directory_url).first()
        if account is None:
            account = ACMEAccountRow(
                directory_url=ca.directory_url,
                account_url=ca.url("/acct/1"),
                account_key_enc=ctx.box.encrypt(b"-"),
                ca_bundle=ca.ca_pem,
                created_at=NOW,
            )
            session.add(account)
            session.flush()
        cert = CertificateRow(
            name=name,
            chain_pem=pem.decode(),
            private_key_enc=ctx.box.encrypt(b"-"),
            csr_pem="-",
            acme_directory=ca.directory_url,
            acme_account_id=account.id,
            domains_authenticators={},
            not_before=not_before,
            not_after=not_after,
            serial="01",
            issuer="CN=ari.example",
            renew_days=10,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(cert)
        session.flush()
        cert_id = cert.id
    return cert_id, "/renewal-info/" + certificate_id(x509.load_pem_x509_certificate(pem))


def window(start: datetime, end: datetime, retry_after: int | None = 21600) -> Reply:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    iso = "%Y-%m-%dT%H:%M:%SZ"
    return Reply(
        200, {"suggestedWindow": {"start": start.strftime(iso), "end": end.strftime(iso)}}, headers
    )


def test_window_plans_and_is_kept_then_moved(
    ctx: AppContext, clock: FrozenClock, ca: ScriptedCA
) -> None:
    cert_id, path = add_ari_certificate(ctx, ca)
    start, end = NOW + 40 * DAY, NOW + 42 * DAY
    ca.script("GET", path, window(start, end, retry_after=3600))
    poller = ARIPoller(ctx, rng=random.Random(5))

    (outcome,) = poller.poll()
    assert outcome.error is None and outcome.decision is not None
    assert outcome.decision.rule is RenewalRule.ARI
    chosen = outcome.decision.at
    assert start <= chosen <= end
    assert outcome.next_poll == NOW + timedelta(hours=1)
    stored = row(ctx, cert_id)
    assert (stored.renew_at, stored.ari_chosen_at) == (chosen, chosen)
    assert (stored.ari_window_start, stored.ari_window_end) == (start, end)
    assert "CA's renewal window (ARI)" in (stored.renew_reason or "")

    # Not asked again before Retry-After.
    clock.advance(timedelta(minutes=30))
    assert poller.poll() == []
    assert len(ca.requests_to("GET", path)) == 1

    # Same window an hour later: the chosen time is kept.
    clock.advance(timedelta(minutes=30))
    (again,) = poller.poll()
    assert again.decision is not None and again.decision.at == chosen
    assert len(ca.requests_to("GET", path)) == 2

    # The window moves: a new time inside the new one.
    moved_start, moved_end = NOW + 20 * DAY, NOW + 20 * DAY + timedelta(hours=6)
    ca.script("GET", path, window(moved_start, moved_end))
    clock.advance(timedelta(hours=1))
    (moved,) = poller.poll()
    assert moved.decision is not None
    assert moved_start <= moved.decision.at <= moved_end
    assert row(ctx, cert_id).ari_window_start == moved_start
    assert moved.next_poll == clock.now() + timedelta(hours=6)


def test_window_in_the_past_renews_at_once(ctx: AppContext, ca: ScriptedCA) -> None:
    cert_id, path = add_ari_certificate(ctx, ca)
    # The CA wants it replaced now (a revocation incident), 50 days before renew_days would.
    ca.script("GET", path, window(NOW - 2 * DAY, NOW - DAY))
    report = RenewalScheduler(ctx, ari=ARIPoller(ctx)).sweep()
    assert report.errors == ()
    (outcome,) = report.ari
    assert outcome.decision is not None and outcome.decision.rule is RenewalRule.ARI
    assert [cid for cid, _ in report.enqueued] == [cert_id]
    assert "already over" in (row(ctx, cert_id).renew_reason or "")


def test_window_beyond_renew_days_is_followed(
    ctx: AppContext, clock: FrozenClock, ca: ScriptedCA
) -> None:
    cert_id, path = add_ari_certificate(ctx, ca)
    start = NOW + 55 * DAY  # later than the 10 renew days (day 50), before the emergency point
    ca.script("GET", path, window(start, start + timedelta(hours=1)))
    scheduler = RenewalScheduler(ctx, ari=ARIPoller(ctx))
    scheduler.sweep()
    clock.set(NOW + 51 * DAY)  # renew_days would renew now; ARI says later
    assert scheduler.sweep().enqueued == ()
    clock.set(start + timedelta(hours=1))
    assert [cid for cid, _ in scheduler.sweep().enqueued] == [cert_id]


def test_ca_without_ari_keeps_renew_days(ctx: AppContext, ca: ScriptedCA) -> None:
    ca.script("GET", "/dir", Reply(200, ca.directory()))
    cert_id, path = add_ari_certificate(ctx, ca)
    poller = ARIPoller(ctx)
    (outcome,) = poller.poll()
    assert outcome.decision is None and outcome.error is None
    assert outcome.next_poll == NOW + DAY
    assert ca.requests_to("GET", path) == []
    RenewalScheduler(ctx).sweep()
    assert row(ctx, cert_id).renew_at == NOW + 50 * DAY


def test_ca_failing_is_reported_and_retried_later(
    ctx: AppContext, clock: FrozenClock, ca: ScriptedCA
) -> None:
    cert_id, path = add_ari_certificate(ctx, ca)
    ca.script("GET", path, Reply.problem(500, "serverInternal", "ARI is down"))
    poller = ARIPoller(ctx)
    (outcome,) = poller.poll()
    assert outcome.decision is None
    assert outcome.error is not None and f"certificate {cert_id}" in outcome.error
    assert outcome.next_poll == NOW + timedelta(hours=1)
    assert row(ctx, cert_id).ari_window_start is None
    # The planned renewal is untouched: Renew Certificate Days.
    RenewalScheduler(ctx).sweep()
    assert row(ctx, cert_id).renew_at == NOW + 50 * DAY


def test_unreachable_directory(ctx: AppContext, ca: ScriptedCA) -> None:
    add_ari_certificate(ctx, ca)
    ca.stop()
    (outcome,) = ARIPoller(ctx).poll()
    assert outcome.error is not None and "cannot reach" in outcome.error


def test_window_left_behind_by_a_renewal_is_not_followed(
    ctx: AppContext, clock: FrozenClock, ca: ScriptedCA
) -> None:
    cert_id, path = add_ari_certificate(ctx, ca)
    ca.script("GET", path, window(NOW - 2 * DAY, NOW - DAY))  # the CA wants it replaced now
    poller = ARIPoller(ctx)
    report = RenewalScheduler(ctx, ari=poller).sweep()
    assert [cid for cid, _ in report.enqueued] == [cert_id]
    # The renewal stores a 6-day certificate (backdated an hour) the way the issuance job does:
    # new validity and serial, renew_at from Renew Certificate Days (already passed for a 6-day
    # certificate), the old ARI window left in the row.
    clock.advance(timedelta(minutes=5))
    new_pem = leaf_pem(clock.now() - timedelta(hours=1), clock.now() + 6 * DAY)
    with ctx.db.session() as session:
        cert = session.get(CertificateRow, cert_id)
        assert cert is not None
        cert.chain_pem, cert.serial = new_pem.decode(), "02"
        cert.not_before, cert.not_after = clock.now() - timedelta(hours=1), clock.now() + 6 * DAY
        cert.renew_at = clock.now()
        for job in session.query(JobRow).filter_by(certificate_id=cert_id):
            job.state = "SUCCESS"
    new_path = "/renewal-info/" + certificate_id(x509.load_pem_x509_certificate(new_pem))
    ca.script("GET", new_path, Reply.problem(500, "serverInternal", "ARI is down"))

    again = RenewalScheduler(ctx, ari=poller).sweep()
    assert again.enqueued == ()  # not renewed again: the old window is not this certificate's
    (asked,) = again.ari  # the renewed certificate is asked about at once (a new serial)
    assert asked.certificate_id == cert_id
    assert len(ca.requests_to("GET", new_path)) >= 1
    stored = row(ctx, cert_id)
    assert stored.renew_at == stored.not_before + (stored.not_after - stored.not_before) / 2
    assert "Short-lived" in (stored.renew_reason or "")
