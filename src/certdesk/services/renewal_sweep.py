"""The renewal sweep: which certificates are due now, found through the ``renew_at`` index.

Every certificate carries its planned renewal time (``renewal_plans``), so a sweep never needs to
decide for every row: it reads only the rows whose ``renew_at`` has come (or was never set), in
the order they became due, skipping revoked certificates and those with a renewal or issuance job
already waiting or running (one job per certificate at a time). Each candidate is decided again
with the pure policy — the facts may have changed since the plan was stored, such as Renew
Certificate Days edited — and a row that turns out not to be due gets its new plan written back
and drops out of the index range. The scheduler enqueues one renewal job per returned
certificate; a failure of one never stops the others.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, or_, select, update

from certdesk.services.context import AppContext
from certdesk.services.renewal_plans import (
    PLAN_COLUMNS,
    REASON_WIDTH,
    decide_for,
    facts_of,
    window_of,
)
from certdesk.services.renewal_policy import (
    DEFAULT_POLICY,
    PlannedRenewal,
    RenewalDecision,
    RenewalPolicy,
    decide_renewal,
    emergency_point,
    next_retry,
)
from certdesk.storage.jobs import ACTIVE_STATES
from certdesk.storage.models import CertificateRow, JobRow

ACTIVE_JOB_STATES = ACTIVE_STATES


@dataclass(frozen=True)
class DueCertificate:
    """A certificate to renew now, with the decision that says why."""

    id: int
    name: str
    decision: RenewalDecision


def _candidates(limit: int, now: datetime | None) -> Select[*tuple[Any, ...]]:
    """Rows never planned (``now`` None) or planned at or before ``now``, oldest plan first.
    Two plain range conditions rather than one OR, so that each is a search of the index and
    not a scan of all of it."""
    active_job = exists().where(
        JobRow.certificate_id == CertificateRow.id, JobRow.state.in_(ACTIVE_JOB_STATES)
    )
    in_range = CertificateRow.renew_at.is_(None) if now is None else CertificateRow.renew_at <= now
    return (
        select(*PLAN_COLUMNS)
        .where(in_range, CertificateRow.revoked_at.is_(None), ~active_job)
        .order_by(CertificateRow.renew_at, CertificateRow.id)
        .limit(limit)
    )


def due_certificates(
    ctx: AppContext,
    now: datetime,
    limit: int,
    policy: RenewalPolicy = DEFAULT_POLICY,
    *,
    rng: random.Random | None = None,
) -> list[DueCertificate]:
    """Up to ``limit`` certificates due for renewal at ``now``, most overdue first (never
    planned ones first of all); plans found stale on the way are corrected in the table."""
    if limit < 1:
        return []
    due: dict[int, DueCertificate] = {}
    with ctx.db.session() as session:
        while len(due) < limit:
            # Rows found not due are replanned past ``now``, so they leave the range; due ones
            # stay in it and are skipped by id.
            rows = [
                row
                for bound in (None, now)
                for row in session.execute(_candidates(limit, bound))
                if row.id not in due
            ]
            if not rows:
                break
            changes: list[dict[str, object]] = []
            for row in rows:
                decision = decide_for(row, now, policy, rng=rng)
                reason = decision.reason[:REASON_WIDTH]
                if decision.is_due(now):
                    if len(due) < limit:
                        due[row.id] = DueCertificate(row.id, row.name, decision)
                    # Keep the time it became due (for ordering and the metrics).
                    at = decision.at if row.renew_at is None else row.renew_at
                else:
                    at = decision.at
                window = decision.window
                change = {
                    "renew_at": at,
                    "renew_reason": reason,
                    "ari_chosen_at": decision.chosen_in_window,
                    "ari_window_start": window.start if window else row.ari_window_start,
                    "ari_window_end": window.end if window else row.ari_window_end,
                }
                if any(getattr(row, key) != value for key, value in change.items()):
                    changes.append({"id": row.id, **change, "updated_at": now})
            if changes:
                session.execute(update(CertificateRow), changes)
    return list(due.values())


def plan_retries(
    ctx: AppContext, now: datetime, policy: RenewalPolicy = DEFAULT_POLICY
) -> list[int]:
    """Give every certificate whose last renewal failed after its plan was made (a failure
    recorded without a retry time: ``renew_at`` not later than ``updated_at``) its retry time
    from the capped backoff, counted from that failure; returns their ids. A failure recorded
    through ``renewal_plans.record_failure`` already has one and is left alone."""
    active_job = exists().where(
        JobRow.certificate_id == CertificateRow.id, JobRow.state.in_(ACTIVE_JOB_STATES)
    )
    planned: list[int] = []
    with ctx.db.session() as session:
        rows = session.execute(
            select(*PLAN_COLUMNS, CertificateRow.updated_at).where(
                CertificateRow.failure_count > 0,
                CertificateRow.revoked_at.is_(None),
                or_(
                    CertificateRow.renew_at.is_(None),
                    CertificateRow.renew_at <= CertificateRow.updated_at,
                ),
                ~active_job,
            )
        ).all()
        changes: list[dict[str, object]] = []
        for row in rows:
            facts = facts_of(row)
            failed_at = min(row.updated_at, now)
            retry = next_retry(
                row.failure_count, failed_at, policy, emergency_at=emergency_point(facts, policy)
            )
            decision = decide_renewal(
                facts,
                window_of(row),
                policy,
                now,
                previous=PlannedRenewal(retry, row.ari_chosen_at, window_of(row)),
            )
            changes.append(
                {
                    "id": row.id,
                    "renew_at": decision.at,
                    "renew_reason": decision.reason[:REASON_WIDTH],
                    # updated_at is left alone: it is when the failure happened.
                }
            )
            planned.append(row.id)
        if changes:
            session.execute(update(CertificateRow), changes)
    return planned
