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

from sqlalchemy import Select, exists, or_, select

from certdesk.services.context import AppContext
from certdesk.services.renewal_plans import REASON_WIDTH, decide_for, store_decision
from certdesk.services.renewal_policy import DEFAULT_POLICY, RenewalDecision, RenewalPolicy
from certdesk.storage.models import CertificateRow, JobRow

ACTIVE_JOB_STATES = ("WAITING", "RUNNING")


@dataclass(frozen=True)
class DueCertificate:
    """A certificate to renew now, with the decision that says why."""

    id: int
    name: str
    decision: RenewalDecision


def _candidates(limit: int, now: datetime) -> Select[CertificateRow]:
    active_job = exists().where(
        JobRow.certificate_id == CertificateRow.id, JobRow.state.in_(ACTIVE_JOB_STATES)
    )
    query = (
        select(CertificateRow)
        .where(
            CertificateRow.revoked_at.is_(None),
            or_(CertificateRow.renew_at.is_(None), CertificateRow.renew_at <= now),
            ~active_job,
        )
        .order_by(CertificateRow.renew_at.asc().nulls_first(), CertificateRow.id)
        .limit(limit)
    )
    return query


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
            # Rows found not due were replanned past ``now`` (and flushed), so they have left
            # the range; due ones stay in it and are skipped by id.
            rows = session.scalars(_candidates(limit, now)).all()
            fresh = [row for row in rows if row.id not in due]
            if not fresh:
                break
            for row in fresh:
                decision = decide_for(row, now, policy, rng=rng)
                if decision.is_due(now):
                    # Keep the time it became due (for ordering and the metrics), refresh why.
                    if row.renew_at is None or row.renew_at > now:
                        row.renew_at = decision.at
                    row.renew_reason = decision.reason[:REASON_WIDTH]
                    row.ari_chosen_at = decision.chosen_in_window
                    if len(due) < limit:
                        due[row.id] = DueCertificate(row.id, row.name, decision)
                elif store_decision(row, decision):
                    row.updated_at = now
            session.flush()
    return list(due.values())
