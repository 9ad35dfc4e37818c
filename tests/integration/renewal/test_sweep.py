"""The renewal sweep and the stored plans on SQLite and PostgreSQL, with a frozen clock: never
planned rows get a plan, due ones come back most overdue first, revoked ones and ones with an
active job are skipped, stale plans are corrected, failures back off, an unchanged ARI window
keeps its chosen time, and a restart loses no planned renewal."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from certdesk.acme.renewal import RenewalInfo
from certdesk.clock import FrozenClock
from certdesk.errors import NotFound
from certdesk.services.context import AppContext
from certdesk.services.renewal_plans import (
    record_failure,
    record_renewal_info,
    record_success,
    replan,
)
from certdesk.services.renewal_policy import RenewalRule
from certdesk.services.renewal_sweep import due_certificates
from certdesk.settings import Settings
from certdesk.storage.models import CertificateRow
from tests.integration.renewal.conftest import NOW
from tests.integration.renewal.helpers import add, add_job, row

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def names(due: list) -> list[str]:  # type: ignore[type-arg]
    return [d.name for d in due]


def test_unplanned_rows_are_planned_and_due_ones_returned(ctx: AppContext) -> None:
    fresh = add(ctx, "fresh", expires_in=80 * DAY)
    soon = add(ctx, "soon", expires_in=5 * DAY)
    expired = add(ctx, "expired", expires_in=-DAY)
    due = due_certificates(ctx, NOW, 10)
    assert sorted(names(due)) == ["expired", "soon"]
    assert {d.decision.rule for d in due} == {RenewalRule.EXPIRED, RenewalRule.RENEW_DAYS}
    planned = row(ctx, fresh)
    assert planned.renew_at == NOW + 70 * DAY
    assert planned.renew_reason == "Renews 10 days before it expires (Renew Certificate Days)."
    assert row(ctx, soon).renew_at == NOW and row(ctx, expired).renew_at == NOW
    assert "Expired on" in (row(ctx, expired).renew_reason or "")
    # The next sweep finds the same due ones and does not touch the planned one.
    assert sorted(names(due_certificates(ctx, NOW + MINUTE, 10))) == ["expired", "soon"]
    assert row(ctx, fresh).renew_at == NOW + 70 * DAY


def test_most_overdue_first_and_limit(ctx: AppContext) -> None:
    for index in range(5):
        became_due = NOW - (index + 1) * MINUTE  # 10 renew days before expiry
        add(ctx, f"c{index}", expires_in=became_due - NOW + 10 * DAY, renew_at=became_due)
    assert names(due_certificates(ctx, NOW, 3)) == ["c4", "c3", "c2"]
    assert names(due_certificates(ctx, NOW, 100)) == ["c4", "c3", "c2", "c1", "c0"]
    assert due_certificates(ctx, NOW, 0) == []


def test_revoked_and_busy_certificates_are_skipped(ctx: AppContext) -> None:
    add(ctx, "revoked", expires_in=DAY, revoked=True)
    waiting = add(ctx, "waiting", expires_in=DAY)
    running = add(ctx, "running", expires_in=DAY)
    failed_before = add(ctx, "failed-before", expires_in=DAY)
    add_job(ctx, waiting, "WAITING")
    add_job(ctx, running, "RUNNING")
    add_job(ctx, failed_before, "FAILED")
    assert names(due_certificates(ctx, NOW, 10)) == ["failed-before"]


def test_stale_plan_is_corrected_and_left_out(ctx: AppContext) -> None:
    # Planned under renew_days=30, then edited to 5: no longer due.
    edited = add(ctx, "edited", expires_in=20 * DAY, renew_days=5, renew_at=NOW - DAY)
    due_one = add(ctx, "due", expires_in=3 * DAY, renew_at=NOW - DAY)
    assert names(due_certificates(ctx, NOW, 1)) == ["due"]  # found past the stale row
    assert row(ctx, edited).renew_at == NOW + 15 * DAY
    assert row(ctx, due_one).renew_at == NOW - DAY  # kept: when it became due


def test_failures_back_off_and_success_resets(ctx: AppContext) -> None:
    cert_id = add(ctx, "web", expires_in=5 * DAY)
    assert names(due_certificates(ctx, NOW, 10)) == ["web"]
    decision = record_failure(ctx, cert_id, "DNS: no TXT record visible at ns1", NOW)
    assert decision.rule is RenewalRule.RETRY and decision.at == NOW + MINUTE
    stored = row(ctx, cert_id)
    assert (stored.failure_count, stored.last_error) == (1, "DNS: no TXT record visible at ns1")
    assert stored.renew_at == NOW + MINUTE
    assert "after 1 failed attempt" in (stored.renew_reason or "")
    assert due_certificates(ctx, NOW + 30 * timedelta(seconds=1), 10) == []
    assert names(due_certificates(ctx, NOW + MINUTE, 10)) == ["web"]

    second = record_failure(ctx, cert_id, "again", NOW + MINUTE)
    assert second.at == NOW + 3 * MINUTE  # 2 minutes after the second failure
    assert due_certificates(ctx, NOW + 2 * MINUTE, 10) == []
    later = NOW + 3 * MINUTE
    for _ in range(3, 12):
        decision = record_failure(ctx, cert_id, "again", later)
        later = decision.at
    assert later - NOW < 5 * DAY  # capped: 6 h at most between tries
    assert row(ctx, cert_id).failure_count == 11

    with ctx.db.session() as session:
        renewed = session.get(CertificateRow, cert_id)
        assert renewed is not None
        renewed.not_before, renewed.not_after = later, later + 90 * DAY
    success = record_success(ctx, cert_id, later)
    assert success.rule is RenewalRule.RENEW_DAYS and success.at == later + 80 * DAY
    stored = row(ctx, cert_id)
    assert (stored.failure_count, stored.last_error) == (0, None)


def test_failure_retry_never_past_the_emergency_point(ctx: AppContext) -> None:
    # 90-day cert: the emergency point is 4.5 days before expiry; 10 failures → 6 h cap,
    # but only 2 hours remain before the emergency point.
    cert_id = add(ctx, "web", expires_in=4.5 * DAY + 2 * timedelta(hours=1))
    with ctx.db.session() as session:
        session.get(CertificateRow, cert_id).failure_count = 9  # type: ignore[union-attr]
    decision = record_failure(ctx, cert_id, "CA down", NOW)
    assert decision.at == NOW + timedelta(hours=2)


def test_ari_window_choice_survives_a_restart(settings: Settings, ctx: AppContext) -> None:
    cert_id = add(ctx, "web", expires_in=60 * DAY)
    window = RenewalInfo(NOW + 20 * DAY, NOW + 22 * DAY, None, NOW + timedelta(hours=6))
    first = record_renewal_info(ctx, cert_id, window, NOW, rng=random.Random(1))
    assert first.rule is RenewalRule.ARI
    assert first.chosen_in_window is not None
    assert window.window_start <= first.at <= window.window_end
    ctx.close()

    reopened = AppContext.open(settings, clock=FrozenClock(NOW))
    try:
        # The CA answers the same window again later: the chosen time is kept.
        again = record_renewal_info(reopened, cert_id, window, NOW + DAY, rng=random.Random(2))
        assert again.at == first.at
        stored = row(reopened, cert_id)
        assert (stored.renew_at, stored.ari_chosen_at) == (first.at, first.chosen_in_window)
        assert due_certificates(reopened, first.at - MINUTE, 10) == []
        (due,) = due_certificates(reopened, first.at, 10)
        assert due.id == cert_id and due.decision.rule is RenewalRule.ARI

        # A moved window gets a new time inside it.
        moved = RenewalInfo(NOW + 5 * DAY, NOW + 6 * DAY, None, NOW + timedelta(hours=6))
        changed = record_renewal_info(reopened, cert_id, moved, NOW + DAY, rng=random.Random(3))
        assert moved.window_start <= changed.at <= moved.window_end
        assert row(reopened, cert_id).ari_window_start == moved.window_start
    finally:
        reopened.close()


def test_planned_renewal_survives_a_restart(settings: Settings, ctx: AppContext) -> None:
    cert_id = add(ctx, "web", expires_in=30 * DAY)
    planned = replan(ctx, cert_id, NOW)
    assert planned.at == NOW + 20 * DAY
    ctx.close()
    reopened = AppContext.open(settings, clock=FrozenClock(NOW))
    try:
        assert due_certificates(reopened, NOW + 20 * DAY - MINUTE, 10) == []
        assert names(due_certificates(reopened, NOW + 20 * DAY, 10)) == ["web"]
    finally:
        reopened.close()


def test_unknown_certificate(ctx: AppContext) -> None:
    with pytest.raises(NotFound):
        replan(ctx, 4242, NOW)
