"""Properties of the renewal decision over generated certificates, windows and times: it is never
planned in the past (except a kept retry), never after the emergency point while that is ahead,
an ARI choice lies in its window and is kept for the same window, and the same inputs and random
seed give the same decision."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from certdesk.services.renewal_policy import (
    DEFAULT_POLICY,
    ARIWindow,
    CertificateFacts,
    PlannedRenewal,
    RenewalRule,
    decide_renewal,
    emergency_point,
    next_retry,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)

lifetimes = st.sampled_from(
    [timedelta(days=d) for d in (1, 6, 7, 14, 45, 47, 90, 398)]
) | st.builds(timedelta, seconds=st.integers(3600, 400 * 86400))


@st.composite
def situations(draw: st.DrawFn) -> tuple[CertificateFacts, ARIWindow | None, datetime, int]:
    lifetime = draw(lifetimes)
    cert = CertificateFacts(
        name="c",
        not_before=T0,
        not_after=T0 + lifetime,
        renew_days=draw(st.integers(1, 30)),
        failure_count=0,
    )
    now = T0 + timedelta(seconds=draw(st.integers(-86400, int(lifetime.total_seconds() * 1.2))))
    ari = None
    if draw(st.booleans()):
        start = T0 + timedelta(seconds=draw(st.integers(0, int(lifetime.total_seconds() * 1.2))))
        ari = ARIWindow(start, start + timedelta(seconds=draw(st.integers(0, 7 * 86400))))
    return cert, ari, now, draw(st.integers(0, 2**32))


@settings(max_examples=400, deadline=None)
@given(situations())
def test_never_in_the_past_nor_after_the_emergency_point(
    situation: tuple[CertificateFacts, ARIWindow | None, datetime, int],
) -> None:
    cert, ari, now, seed = situation
    decision = decide_renewal(cert, ari, DEFAULT_POLICY, now, rng=random.Random(seed))
    assert decision.at >= now
    assert decision.at <= max(now, emergency_point(cert))
    assert len(decision.reason) <= 255
    if decision.rule is RenewalRule.ARI and decision.chosen_in_window is not None:
        assert ari is not None and ari.start <= decision.chosen_in_window <= ari.end
    if now >= cert.not_after:
        assert decision.rule is RenewalRule.EXPIRED and decision.at == now
    if ari is None and now < emergency_point(cert):
        # Renewal is never planned before half the lifetime: no renewal loops.
        assert decision.at >= cert.not_before + cert.lifetime / 2
    again = decide_renewal(cert, ari, DEFAULT_POLICY, now, rng=random.Random(seed))
    assert again == decision


@settings(max_examples=200, deadline=None)
@given(situations(), st.integers(0, 2**32))
def test_a_kept_choice_stays_while_the_window_does(
    situation: tuple[CertificateFacts, ARIWindow | None, datetime, int], other_seed: int
) -> None:
    cert, ari, now, seed = situation
    first = decide_renewal(cert, ari, DEFAULT_POLICY, now, rng=random.Random(seed))
    previous = PlannedRenewal(first.at, first.chosen_in_window, first.window)
    later = decide_renewal(
        cert, ari, DEFAULT_POLICY, now, previous=previous, rng=random.Random(other_seed)
    )
    assert later.at == first.at
    assert later.chosen_in_window == first.chosen_in_window


@given(st.integers(1, 10_000), st.integers(0, 10**6))
def test_backoff_grows_and_is_capped(failures: int, offset: int) -> None:
    now = T0 + timedelta(seconds=offset)
    delay = next_retry(failures, now) - now
    assert timedelta(minutes=1) <= delay <= timedelta(hours=6)
    assert next_retry(failures + 1, now) - now >= delay
