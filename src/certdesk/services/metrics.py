"""What ``GET /api/v1/metrics`` reports, read from the tables in one transaction: each live
certificate's expiry, planned renewal and failures in a row, the durations of finished jobs by
kind and final state (as histogram buckets), and how many jobs wait or run. The API turns this
snapshot into the Prometheus text format."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from certdesk.services.context import AppContext
from certdesk.storage.jobs import FINAL_STATES
from certdesk.storage.models import JOB_STATES, CertificateRow, JobRow

#: Upper bounds (seconds) of the job duration histogram buckets; +Inf is implied.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


@dataclass(frozen=True)
class CertificateMetrics:
    name: str
    not_after: datetime
    renew_at: datetime | None
    failure_count: int


@dataclass(frozen=True)
class JobDurations:
    """Finished jobs of one kind and final state: count, total seconds, and the cumulative
    count at or under each of ``DURATION_BUCKETS``."""

    kind: str
    state: str
    count: int
    total_seconds: float
    buckets: tuple[int, ...]


@dataclass(frozen=True)
class MetricsSnapshot:
    certificates: tuple[CertificateMetrics, ...]
    job_durations: tuple[JobDurations, ...]
    #: Jobs per state (every state present, zero included).
    jobs_by_state: dict[str, int]


def collect_metrics(ctx: AppContext) -> MetricsSnapshot:
    """Read the numbers behind the metrics endpoint (revoked certificates are left out)."""
    with ctx.db.session() as session:
        certificates = tuple(
            CertificateMetrics(name, not_after, renew_at, failures)
            for name, not_after, renew_at, failures in session.execute(
                select(
                    CertificateRow.name,
                    CertificateRow.not_after,
                    CertificateRow.renew_at,
                    CertificateRow.failure_count,
                )
                .where(CertificateRow.revoked_at.is_(None))
                .order_by(CertificateRow.name)
            )
        )
        finished = session.execute(
            select(JobRow.kind, JobRow.state, JobRow.started_at, JobRow.finished_at).where(
                JobRow.state.in_(FINAL_STATES),
                JobRow.started_at.is_not(None),
                JobRow.finished_at.is_not(None),
            )
        ).all()
        counts = {
            state: count
            for state, count in session.execute(
                select(JobRow.state, func.count()).group_by(JobRow.state)
            )
        }
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    for kind, state, started, ended in finished:
        if started is not None and ended is not None:  # filtered in SQL; for the type checker
            durations[(kind, state)].append(max((ended - started).total_seconds(), 0.0))
    job_durations = tuple(
        JobDurations(
            kind=kind,
            state=state,
            count=len(values),
            total_seconds=sum(values),
            buckets=tuple(sum(1 for v in values if v <= bound) for bound in DURATION_BUCKETS),
        )
        for (kind, state), values in sorted(durations.items())
    )
    return MetricsSnapshot(
        certificates=certificates,
        job_durations=job_durations,
        jobs_by_state={state: int(counts.get(state, 0)) for state in JOB_STATES},
    )
