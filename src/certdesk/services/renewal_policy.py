"""When to renew a certificate: a pure function of (certificate, ARI window, policy, now).

``decide_renewal`` applies the rules in this order and returns the time with a sentence saying why:

1. **Emergency**: already expired, or less than ``policy.emergency_fraction`` (1/20) of the
   lifetime left → now. The validity period always wins, whatever a CA's window says.
2. **ARI** (RFC 9773): the CA's suggested window. A uniformly random time inside it is chosen once
   and kept while the window stays the same (``previous`` carries the earlier choice and the window
   it was made in); a moved window gets a new choice; a window already over means now.
3. **Renew Certificate Days**: ``renew_days`` before expiry, unless that falls before
   ``policy.short_lived_fraction`` (1/2) of the lifetime — short-lived certificates (six days, say,
   with the default of ten renew days) then renew at that fraction instead of at once, forever.

No rule plans past the emergency point, and a time in the past becomes ``now``. After failures,
``next_retry`` gives the capped exponential backoff (1 min, 2, 4, … 6 h, never past the emergency
point while it is ahead); the planned retry is kept (``previous.at``) until it comes. Nothing here
reads the clock or any storage: the scheduler passes ``now`` and stores the decision.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from certdesk.acme.renewal import RenewalInfo


class RenewalRule(enum.StrEnum):
    """Which rule decided the renewal time."""

    EXPIRED = "expired"
    EMERGENCY = "emergency"
    ARI = "ari"
    RENEW_DAYS = "renew_days"
    SHORT_LIVED = "short_lived"
    RETRY = "retry"


@dataclass(frozen=True)
class CertificateFacts:
    """What the decision and the alerts need to know about one certificate."""

    name: str
    not_before: datetime
    not_after: datetime
    renew_days: int
    #: Renewal attempts that failed in a row since the last success.
    failure_count: int = 0
    last_error: str | None = None
    #: The error of the last deploy, if it failed.
    deploy_error: str | None = None

    def __post_init__(self) -> None:
        for label, value in (("not_before", self.not_before), ("not_after", self.not_after)):
            if value.tzinfo is None:
                raise ValueError(f"{label} must be timezone-aware")
        if self.not_after <= self.not_before:
            raise ValueError("not_after must be later than not_before")
        if self.renew_days < 0 or self.failure_count < 0:
            raise ValueError("renew_days and failure_count cannot be negative")

    @property
    def lifetime(self) -> timedelta:
        return self.not_after - self.not_before


@dataclass(frozen=True)
class ARIWindow:
    """The CA's suggested renewal window (ACME Renewal Information)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("an ARI window needs timezone-aware times")
        if self.end < self.start:
            raise ValueError("an ARI window cannot end before it starts")

    @classmethod
    def from_renewal_info(cls, info: RenewalInfo) -> ARIWindow:
        return cls(start=info.window_start, end=info.window_end)


@dataclass(frozen=True)
class PlannedRenewal:
    """What was decided last time (the ``certificate`` row's ``renew_at``, ``ari_chosen_at``,
    ``ari_window_start`` and ``ari_window_end``)."""

    at: datetime | None = None
    chosen_in_window: datetime | None = None
    window: ARIWindow | None = None


@dataclass(frozen=True)
class RenewalPolicy:
    """The tunable numbers of the decision."""

    #: Less than this fraction of the lifetime left: renew now, whatever ARI says.
    emergency_fraction: float = 1 / 20
    #: Renew no earlier than this fraction of the lifetime (short-lived certificates).
    short_lived_fraction: float = 1 / 2
    #: First retry after a failure; each further failure doubles it, up to ``retry_cap``.
    retry_base: timedelta = timedelta(minutes=1)
    retry_cap: timedelta = timedelta(hours=6)

    def __post_init__(self) -> None:
        if not 0 < self.emergency_fraction < self.short_lived_fraction < 1:
            raise ValueError("need 0 < emergency_fraction < short_lived_fraction < 1")
        if not timedelta(0) < self.retry_base <= self.retry_cap:
            raise ValueError("need 0 < retry_base <= retry_cap")


DEFAULT_POLICY = RenewalPolicy()


@dataclass(frozen=True)
class RenewalDecision:
    """When to renew, why (a sentence for the UI), and the time chosen in the ARI window (to be
    stored and passed back as ``previous`` so that it is kept)."""

    at: datetime
    reason: str
    chosen_in_window: datetime | None
    rule: RenewalRule
    window: ARIWindow | None = None

    def is_due(self, now: datetime) -> bool:
        return self.at <= now


def emergency_point(cert: CertificateFacts, policy: RenewalPolicy = DEFAULT_POLICY) -> datetime:
    """The time from which the certificate has less than ``emergency_fraction`` of its life."""
    return cert.not_after - cert.lifetime * policy.emergency_fraction


def next_retry(
    failure_count: int,
    now: datetime,
    policy: RenewalPolicy = DEFAULT_POLICY,
    *,
    emergency_at: datetime | None = None,
) -> datetime:
    """When to try again after ``failure_count`` failures in a row (1 → ``retry_base`` later,
    doubling up to ``retry_cap``); never later than ``emergency_at`` while that is still ahead."""
    if failure_count < 1:
        raise ValueError("next_retry needs at least one failure")
    # Doubling a timedelta 60 times overflows; stop once the cap is reached.
    steps = min(failure_count - 1, 40)
    delay = min(policy.retry_base * (2**steps), policy.retry_cap)
    at = now + delay
    if emergency_at is not None and now < emergency_at < at:
        return emergency_at
    return at


def _day_text(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} hours" if hours >= 2 else f"{delta.total_seconds() / 60:.0f} minutes"
    return f"{hours / 24:.0f} days"


def _random_in(window: ARIWindow, rng: random.Random) -> datetime:
    span = (window.end - window.start).total_seconds()
    return window.start + timedelta(seconds=rng.uniform(0, span))


def _ari_decision(
    ari: ARIWindow, previous: PlannedRenewal | None, rng: random.Random | None, now: datetime
) -> RenewalDecision:
    if ari.end <= now:
        return RenewalDecision(
            at=now,
            reason="The CA's renewal window (ARI) is already over: renew now.",
            chosen_in_window=None,
            rule=RenewalRule.ARI,
            window=ari,
        )
    kept = (
        previous is not None
        and previous.window == ari
        and previous.chosen_in_window is not None
        and ari.start <= previous.chosen_in_window <= ari.end
    )
    if kept:
        assert previous is not None and previous.chosen_in_window is not None
        chosen = previous.chosen_in_window
        how = "the time chosen earlier in the CA's renewal window (ARI)"
    else:
        chosen = _random_in(ari, rng or random.SystemRandom())
        how = "a random time in the CA's renewal window (ARI)"
    window_text = f"{ari.start:%Y-%m-%d %H:%M} – {ari.end:%Y-%m-%d %H:%M} UTC"
    return RenewalDecision(
        at=chosen,
        reason=f"Renews at {how}, {window_text}.",
        chosen_in_window=chosen,
        rule=RenewalRule.ARI,
        window=ari,
    )


def _expiry_decision(cert: CertificateFacts, policy: RenewalPolicy) -> RenewalDecision:
    by_days = cert.not_after - timedelta(days=cert.renew_days)
    earliest = cert.not_before + cert.lifetime * policy.short_lived_fraction
    if by_days >= earliest:
        return RenewalDecision(
            at=by_days,
            reason=f"Renews {cert.renew_days} days before it expires (Renew Certificate Days).",
            chosen_in_window=None,
            rule=RenewalRule.RENEW_DAYS,
        )
    fraction = round(policy.short_lived_fraction * 100)
    return RenewalDecision(
        at=earliest,
        reason=(
            f"Short-lived ({_day_text(cert.lifetime)}): renews after {fraction}% of its lifetime, "
            f"since {cert.renew_days} Renew Certificate Days would renew it as soon as it is "
            "issued."
        ),
        chosen_in_window=None,
        rule=RenewalRule.SHORT_LIVED,
    )


def decide_renewal(
    cert: CertificateFacts,
    ari: ARIWindow | None,
    policy: RenewalPolicy,
    now: datetime,
    *,
    previous: PlannedRenewal | None = None,
    rng: random.Random | None = None,
) -> RenewalDecision:
    """When to renew ``cert`` (see the module docstring for the rules); ``rng`` picks the time in
    an ARI window (a ``SystemRandom`` when not given)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    emergency_at = emergency_point(cert, policy)
    if now >= cert.not_after:
        decision = RenewalDecision(
            at=now,
            reason=f"Expired on {cert.not_after:%Y-%m-%d %H:%M} UTC: renew now.",
            chosen_in_window=None,
            rule=RenewalRule.EXPIRED,
            window=ari,
        )
    elif now >= emergency_at:
        decision = RenewalDecision(
            at=now,
            reason=(
                f"Expires in {_day_text(cert.not_after - now)}, less than "
                f"1/{round(1 / policy.emergency_fraction)} of its lifetime: renew now."
            ),
            chosen_in_window=None,
            rule=RenewalRule.EMERGENCY,
            window=ari,
        )
    else:
        decision = _ari_decision(ari, previous, rng, now) if ari else _expiry_decision(cert, policy)
        if decision.at > emergency_at:
            decision = RenewalDecision(
                at=emergency_at,
                reason=(
                    f"Renews when 1/{round(1 / policy.emergency_fraction)} of its lifetime is "
                    "left, before the planned time."
                ),
                chosen_in_window=decision.chosen_in_window,
                rule=RenewalRule.EMERGENCY,
                window=ari,
            )
        elif decision.at < now:
            decision = RenewalDecision(
                at=now,
                reason=decision.reason.rstrip(".") + ", which has passed: renew now.",
                chosen_in_window=decision.chosen_in_window,
                rule=decision.rule,
                window=ari,
            )
    return _with_backoff(decision, cert, previous)


def _with_backoff(
    decision: RenewalDecision, cert: CertificateFacts, previous: PlannedRenewal | None
) -> RenewalDecision:
    """After failures, keep the planned retry (``previous.at``, set from ``next_retry``) while it
    is later than what the rules say."""
    if cert.failure_count == 0 or previous is None or previous.at is None:
        return decision
    if previous.at <= decision.at:
        return decision
    failures = "1 failed attempt" if cert.failure_count == 1 else f"{cert.failure_count} failed"
    if cert.failure_count > 1:
        failures += " attempts"
    return RenewalDecision(
        at=previous.at,
        reason=f"Retries at {previous.at:%Y-%m-%d %H:%M:%S} UTC after {failures}.",
        chosen_in_window=decision.chosen_in_window,
        rule=RenewalRule.RETRY,
        window=decision.window,
    )
