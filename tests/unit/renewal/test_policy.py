"""The renewal decision and the retry backoff, table by table, with fixed times and a seeded
random source: no clock is read, so each row says exactly when and why a certificate renews."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from certdesk.acme.renewal import RenewalInfo
from certdesk.services.renewal_policy import (
    DEFAULT_POLICY,
    ARIWindow,
    CertificateFacts,
    PlannedRenewal,
    RenewalPolicy,
    RenewalRule,
    decide_renewal,
    emergency_point,
    next_retry,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def cert(days: float = 90, renew_days: int = 10, failures: int = 0) -> CertificateFacts:
    """A certificate valid from T0 for ``days`` days."""
    return CertificateFacts(
        name="web",
        not_before=T0,
        not_after=T0 + days * DAY,
        renew_days=renew_days,
        failure_count=failures,
    )


@dataclass(frozen=True)
class Case:
    id: str
    cert: CertificateFacts
    now: datetime
    rule: RenewalRule
    at: datetime
    reason_has: str
    ari: ARIWindow | None = None
    previous: PlannedRenewal | None = None


WINDOW = ARIWindow(T0 + 60 * DAY, T0 + 62 * DAY)
KEPT = T0 + 61 * DAY + 3 * HOUR

CASES = [
    Case(
        "renew_days: 90-day cert, 10 days",
        cert(),
        T0 + DAY,
        RenewalRule.RENEW_DAYS,
        T0 + 80 * DAY,
        "10 days before it expires (Renew Certificate Days)",
    ),
    Case(
        "renew_days: 30 days",
        cert(renew_days=30),
        T0,
        RenewalRule.RENEW_DAYS,
        T0 + 60 * DAY,
        "30 days before",
    ),
    Case(
        "renew_days: exactly half the lifetime is still renew_days",
        cert(20, 10),
        T0,
        RenewalRule.RENEW_DAYS,
        T0 + 10 * DAY,
        "Renew Certificate Days",
    ),
    Case(
        "renew_days: due, time passed → now",
        cert(),
        T0 + 85 * DAY,
        RenewalRule.RENEW_DAYS,
        T0 + 85 * DAY,
        "which has passed: renew now",
    ),
    Case(
        "short-lived: 6-day cert with 10 renew days renews at half",
        cert(6, 10),
        T0,
        RenewalRule.SHORT_LIVED,
        T0 + 3 * DAY,
        "Short-lived (6 days)",
    ),
    Case(
        "short-lived: 14-day cert with 10 renew days",
        cert(14, 10),
        T0 + HOUR,
        RenewalRule.SHORT_LIVED,
        T0 + 7 * DAY,
        "50% of its lifetime",
    ),
    Case(
        "short-lived: 6-day cert, 1 renew day is after half",
        cert(6, 1),
        T0,
        RenewalRule.RENEW_DAYS,
        T0 + 5 * DAY,
        "1 days before",
    ),
    Case(
        "expired → now",
        cert(),
        T0 + 91 * DAY,
        RenewalRule.EXPIRED,
        T0 + 91 * DAY,
        "Expired on 2026-04-01",
    ),
    Case(
        "expired wins over ARI",
        cert(),
        T0 + 91 * DAY,
        RenewalRule.EXPIRED,
        T0 + 91 * DAY,
        "Expired",
        ari=WINDOW,
    ),
    Case(
        "emergency: under 1/20 of the lifetime left → now",
        cert(renew_days=1),
        T0 + 86 * DAY,
        RenewalRule.EMERGENCY,
        T0 + 86 * DAY,
        "less than 1/20 of its lifetime",
    ),
    Case(
        "emergency: 6-day cert with 7 hours left",
        cert(6, 1),
        T0 + 6 * DAY - 7 * HOUR,
        RenewalRule.EMERGENCY,
        T0 + 6 * DAY - 7 * HOUR,
        "Expires in 7 hours",
    ),
    Case(
        "emergency wins over a kept ARI time",
        cert(),
        T0 + 86 * DAY,
        RenewalRule.EMERGENCY,
        T0 + 86 * DAY,
        "renew now",
        ari=ARIWindow(T0 + 87 * DAY, T0 + 88 * DAY),
        previous=PlannedRenewal(
            T0 + 87 * DAY, T0 + 87 * DAY, ARIWindow(T0 + 87 * DAY, T0 + 88 * DAY)
        ),
    ),
    Case(
        "emergency caps an ARI window past the emergency point",
        cert(),
        T0,
        RenewalRule.EMERGENCY,
        T0 + 85.5 * DAY,
        "before the planned time",
        ari=ARIWindow(T0 + 88 * DAY, T0 + 89 * DAY),
    ),
    Case(
        "ARI: window kept → the earlier choice is kept",
        cert(),
        T0 + DAY,
        RenewalRule.ARI,
        KEPT,
        "chosen earlier",
        ari=WINDOW,
        previous=PlannedRenewal(KEPT, KEPT, WINDOW),
    ),
    Case(
        "ARI: window over → now",
        cert(),
        T0 + 63 * DAY,
        RenewalRule.ARI,
        T0 + 63 * DAY,
        "already over",
        ari=WINDOW,
    ),
    Case(
        "ARI: kept time passed inside the window → now",
        cert(),
        T0 + 61.5 * DAY,
        RenewalRule.ARI,
        T0 + 61.5 * DAY,
        "which has passed",
        ari=WINDOW,
        previous=PlannedRenewal(KEPT, KEPT, WINDOW),
    ),
    Case(
        "ARI wins over renew_days even when later",
        cert(renew_days=30),
        T0 + DAY,
        RenewalRule.ARI,
        KEPT,
        "ARI",
        ari=WINDOW,
        previous=PlannedRenewal(KEPT, KEPT, WINDOW),
    ),
    Case(
        "retry: a planned retry after failures is kept",
        cert(failures=3),
        T0 + 85 * DAY,
        RenewalRule.RETRY,
        T0 + 85 * DAY + 4 * MINUTE,
        "after 3 failed attempts",
        previous=PlannedRenewal(T0 + 85 * DAY + 4 * MINUTE),
    ),
    Case(
        "retry: an expired cert still backs off",
        cert(failures=1),
        T0 + 91 * DAY,
        RenewalRule.RETRY,
        T0 + 91 * DAY + MINUTE,
        "after 1 failed attempt",
        previous=PlannedRenewal(T0 + 91 * DAY + MINUTE),
    ),
    Case(
        "retry: a rule later than the retry wins",
        cert(failures=2),
        T0 + DAY,
        RenewalRule.RENEW_DAYS,
        T0 + 80 * DAY,
        "Renew Certificate Days",
        previous=PlannedRenewal(T0 + DAY + 2 * MINUTE),
    ),
    Case(
        "no failures: an old planned time is not kept",
        cert(),
        T0 + DAY,
        RenewalRule.RENEW_DAYS,
        T0 + 80 * DAY,
        "Renew Certificate Days",
        previous=PlannedRenewal(T0 + 85 * DAY),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_decision_table(case: Case) -> None:
    decision = decide_renewal(
        case.cert,
        case.ari,
        DEFAULT_POLICY,
        case.now,
        previous=case.previous,
        rng=random.Random(7),
    )
    assert decision.rule is case.rule
    assert decision.at == case.at
    assert case.reason_has in decision.reason
    assert len(decision.reason) <= 255  # the renew_reason column
    assert decision.at >= case.now or decision.rule is RenewalRule.RETRY


def test_window_without_a_chosen_time_picks_one_inside_it() -> None:
    seen = set()
    for seed in range(50):
        decision = decide_renewal(cert(), WINDOW, DEFAULT_POLICY, T0, rng=random.Random(seed))
        assert decision.rule is RenewalRule.ARI
        assert decision.chosen_in_window is not None
        assert WINDOW.start <= decision.chosen_in_window <= WINDOW.end
        assert decision.at == decision.chosen_in_window
        assert decision.window == WINDOW
        assert "random time" in decision.reason
        seen.add(decision.at)
    assert len(seen) == 50  # spread over the window, not one fixed point


def test_window_kept_over_many_decisions() -> None:
    first = decide_renewal(cert(), WINDOW, DEFAULT_POLICY, T0, rng=random.Random(1))
    previous = PlannedRenewal(first.at, first.chosen_in_window, first.window)
    for seed, now in enumerate((T0 + DAY, T0 + 30 * DAY, T0 + 59 * DAY)):
        again = decide_renewal(
            cert(), WINDOW, DEFAULT_POLICY, now, previous=previous, rng=random.Random(100 + seed)
        )
        assert again.chosen_in_window == first.chosen_in_window
        assert again.at == first.at


def test_window_moved_gets_a_new_time_inside_the_new_window() -> None:
    moved = ARIWindow(T0 + 40 * DAY, T0 + 41 * DAY)
    previous = PlannedRenewal(KEPT, KEPT, WINDOW)
    decision = decide_renewal(
        cert(), moved, DEFAULT_POLICY, T0 + DAY, previous=previous, rng=random.Random(3)
    )
    assert decision.chosen_in_window is not None
    assert moved.start <= decision.chosen_in_window <= moved.end
    assert decision.window == moved
    assert "random time" in decision.reason


def test_kept_time_outside_a_window_of_the_same_bounds_is_replaced() -> None:
    # A corrupt stored choice (outside its own window) is not trusted.
    previous = PlannedRenewal(T0 + 5 * DAY, T0 + 5 * DAY, WINDOW)
    decision = decide_renewal(
        cert(), WINDOW, DEFAULT_POLICY, T0, previous=previous, rng=random.Random(4)
    )
    assert decision.chosen_in_window is not None
    assert WINDOW.start <= decision.chosen_in_window <= WINDOW.end


def test_ari_window_from_renewal_info() -> None:
    info = RenewalInfo(WINDOW.start, WINDOW.end, None, T0 + 6 * HOUR)
    assert ARIWindow.from_renewal_info(info) == WINDOW


def test_no_rng_still_picks_inside_the_window() -> None:
    decision = decide_renewal(cert(), WINDOW, DEFAULT_POLICY, T0)
    assert decision.chosen_in_window is not None
    assert WINDOW.start <= decision.chosen_in_window <= WINDOW.end


@pytest.mark.parametrize(
    ("failures", "delay"),
    [
        (1, MINUTE),
        (2, 2 * MINUTE),
        (3, 4 * MINUTE),
        (4, 8 * MINUTE),
        (9, 256 * MINUTE),
        (10, 6 * HOUR),  # 512 min is past the cap
        (11, 6 * HOUR),
        (1000, 6 * HOUR),  # no overflow
    ],
)
def test_backoff_schedule_is_capped_exponential(failures: int, delay: timedelta) -> None:
    now = T0 + DAY
    assert next_retry(failures, now, DEFAULT_POLICY) == now + delay


def test_backoff_never_past_the_emergency_point() -> None:
    facts = cert()
    emergency = emergency_point(facts)
    assert emergency == T0 + 85.5 * DAY
    now = emergency - HOUR
    assert next_retry(10, now, emergency_at=emergency) == emergency
    assert next_retry(1, now, emergency_at=emergency) == now + MINUTE
    # Once past the emergency point, retries still back off (no hammering an unhappy CA).
    later = emergency + HOUR
    assert next_retry(10, later, emergency_at=emergency) == later + 6 * HOUR


def test_backoff_with_a_custom_policy() -> None:
    policy = RenewalPolicy(retry_base=timedelta(seconds=10), retry_cap=timedelta(minutes=1))
    assert [next_retry(n, T0, policy) - T0 for n in (1, 2, 3, 4)] == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=40),
        MINUTE,
    ]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one failure"):
        next_retry(0, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        decide_renewal(cert(), None, DEFAULT_POLICY, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="later than not_before"):
        CertificateFacts("x", T0, T0, 10)
    with pytest.raises(ValueError, match="end before it starts"):
        ARIWindow(T0 + DAY, T0)
    with pytest.raises(ValueError, match="emergency_fraction"):
        RenewalPolicy(emergency_fraction=0.6)
