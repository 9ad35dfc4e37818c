"""The planned renewal of each certificate, kept in its row so that a restart loses nothing.

A ``certificate`` row stores the last ``RenewalDecision``: ``renew_at``, ``renew_reason``, the ARI
window (``ari_window_start``/``ari_window_end``) and the time chosen in it (``ari_chosen_at``).
These functions translate between rows and the pure policy's types and write decisions back:
``replan`` after anything that changes the facts (issue, renewal, Renew Certificate Days edited),
``record_renewal_info`` when the CA's ARI answer arrives (the chosen time is kept while the window
is the same), ``record_failure`` after a failed attempt (failure count, last error, and the next
retry from the capped backoff, never past the emergency point) and ``record_success`` after a
renewal stored the new certificate. The scheduler reads ``renew_at`` through its index.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from certdesk.acme.renewal import RenewalInfo
from certdesk.errors import NotFound
from certdesk.services.context import AppContext
from certdesk.services.renewal_policy import (
    DEFAULT_POLICY,
    ARIWindow,
    CertificateFacts,
    PlannedRenewal,
    RenewalDecision,
    RenewalPolicy,
    decide_renewal,
    emergency_point,
    next_retry,
)
from certdesk.storage.models import CertificateRow

#: How far CAs may set ``not_before`` before the moment of issuance.
BACKDATE_ALLOWANCE = timedelta(hours=2)
#: The ``renew_reason`` column's width.
REASON_WIDTH = 255
ERROR_WIDTH = 4000


class PlanFields(Protocol):
    """The columns a decision reads: a ``CertificateRow`` or a narrower selected row."""

    @property
    def name(self) -> str: ...
    @property
    def not_before(self) -> datetime: ...
    @property
    def not_after(self) -> datetime: ...
    @property
    def renew_days(self) -> int: ...
    @property
    def failure_count(self) -> int: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def renew_at(self) -> datetime | None: ...
    @property
    def ari_window_start(self) -> datetime | None: ...
    @property
    def ari_window_end(self) -> datetime | None: ...
    @property
    def ari_chosen_at(self) -> datetime | None: ...


#: The columns of ``PlanFields``, to select only what a decision needs.
PLAN_COLUMNS = (
    CertificateRow.id,
    CertificateRow.name,
    CertificateRow.not_before,
    CertificateRow.not_after,
    CertificateRow.renew_days,
    CertificateRow.failure_count,
    CertificateRow.last_error,
    CertificateRow.renew_at,
    CertificateRow.renew_reason,
    CertificateRow.ari_window_start,
    CertificateRow.ari_window_end,
    CertificateRow.ari_chosen_at,
)


def facts_of(row: PlanFields, *, deploy_error: str | None = None) -> CertificateFacts:
    """The policy's view of a certificate row."""
    return CertificateFacts(
        name=row.name,
        not_before=row.not_before,
        not_after=row.not_after,
        renew_days=row.renew_days,
        failure_count=row.failure_count,
        last_error=row.last_error,
        deploy_error=deploy_error,
    )


def window_of(row: PlanFields) -> ARIWindow | None:
    """The ARI window stored in the row, if the CA gave one for this certificate.

    A window that starts before the certificate was issued (CAs backdate ``not_before`` by up to
    an hour or so, hence the allowance) belongs to the certificate it replaced, when a renewal
    left it behind: following it would renew the new certificate at once, again and again, so
    it is ignored until the CA is asked about the new one."""
    start, end = row.ari_window_start, row.ari_window_end
    if start is None or end is None or end < start:
        return None
    if start < row.not_before + BACKDATE_ALLOWANCE:
        return None
    return ARIWindow(start, end)


def planned_of(row: PlanFields) -> PlannedRenewal:
    """What was decided last time, as stored in the row."""
    return PlannedRenewal(
        at=row.renew_at, chosen_in_window=row.ari_chosen_at, window=window_of(row)
    )


def decide_for(
    row: PlanFields,
    now: datetime,
    policy: RenewalPolicy = DEFAULT_POLICY,
    *,
    ari: ARIWindow | None = None,
    rng: random.Random | None = None,
) -> RenewalDecision:
    """The decision for ``row`` with its stored ARI window (or ``ari``, a newer one)."""
    return decide_renewal(
        facts_of(row),
        ari if ari is not None else window_of(row),
        policy,
        now,
        previous=planned_of(row),
        rng=rng,
    )


def store_decision(row: CertificateRow, decision: RenewalDecision) -> bool:
    """Write ``decision`` into ``row``; true when anything changed."""
    window = decision.window
    values = {
        "renew_at": decision.at,
        "renew_reason": decision.reason[:REASON_WIDTH],
        "ari_chosen_at": decision.chosen_in_window,
        "ari_window_start": window.start if window else row.ari_window_start,
        "ari_window_end": window.end if window else row.ari_window_end,
    }
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _row(session: Session, certificate_id: int) -> CertificateRow:
    row = session.get(CertificateRow, certificate_id)
    if row is None:
        raise NotFound("certificate", certificate_id)
    return row


def replan(
    ctx: AppContext,
    certificate_id: int,
    now: datetime,
    policy: RenewalPolicy = DEFAULT_POLICY,
    *,
    rng: random.Random | None = None,
) -> RenewalDecision:
    """Decide again for one certificate and store the decision."""
    with ctx.db.session() as session:
        row = _row(session, certificate_id)
        decision = decide_for(row, now, policy, rng=rng)
        store_decision(row, decision)
        row.updated_at = now
    return decision


def record_renewal_info(
    ctx: AppContext,
    certificate_id: int,
    info: RenewalInfo,
    now: datetime,
    policy: RenewalPolicy = DEFAULT_POLICY,
    *,
    rng: random.Random | None = None,
) -> RenewalDecision:
    """Store the CA's (new) ARI window and the decision it leads to; an unchanged window keeps
    the time chosen in it before."""
    window = ARIWindow.from_renewal_info(info)
    with ctx.db.session() as session:
        row = _row(session, certificate_id)
        decision = decide_for(row, now, policy, ari=window, rng=rng)
        row.ari_window_start, row.ari_window_end = window.start, window.end
        store_decision(row, decision)
        row.updated_at = now
    return decision


def record_failure(
    ctx: AppContext,
    certificate_id: int,
    error: str,
    now: datetime,
    policy: RenewalPolicy = DEFAULT_POLICY,
) -> RenewalDecision:
    """Count a failed renewal, keep its error, and plan the retry (capped exponential backoff,
    not later than the emergency point while that is ahead)."""
    with ctx.db.session() as session:
        row = _row(session, certificate_id)
        row.failure_count += 1
        row.last_error = error[:ERROR_WIDTH]
        retry = next_retry(
            row.failure_count, now, policy, emergency_at=emergency_point(facts_of(row), policy)
        )
        row.renew_at = retry
        decision = decide_for(row, now, policy)
        store_decision(row, decision)
        row.updated_at = now
    return decision


def record_success(
    ctx: AppContext,
    certificate_id: int,
    now: datetime,
    policy: RenewalPolicy = DEFAULT_POLICY,
    *,
    rng: random.Random | None = None,
) -> RenewalDecision:
    """After a renewal stored the new certificate (validity updated in the row): clear the
    failures, forget the old certificate's ARI window, and plan the next renewal."""
    with ctx.db.session() as session:
        row = _row(session, certificate_id)
        row.failure_count = 0
        row.last_error = None
        row.ari_window_start = row.ari_window_end = row.ari_chosen_at = None
        row.renew_at = None
        decision = decide_for(row, now, policy, rng=rng)
        store_decision(row, decision)
        row.updated_at = now
    return decision
