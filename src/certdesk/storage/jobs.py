"""The job repository: persisted units of long work, claimed by exactly one worker.

``claim`` hands a WAITING job to one worker: on PostgreSQL the candidate row is locked with
``SELECT … FOR UPDATE SKIP LOCKED`` (instances never wait on each other), and on every engine the
state change is a conditional ``UPDATE … WHERE state = 'WAITING'`` whose row count says who won —
SQLite serialises writers, so the same statement is the whole lock there. Every later write by
the worker is conditional on the job still being RUNNING under its claim, so a job that was
declared dead (stale heartbeat) and cleaned up cannot be finished a second time.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from certdesk.errors import NotFound
from certdesk.storage.models import JobRow
from certdesk.storage.secrets import SecretBox

ACTIVE_STATES = ("WAITING", "RUNNING")
FINAL_STATES = ("SUCCESS", "FAILED", "ABORTED")


@dataclass(frozen=True)
class JobRecord:
    """A job as stored (secrets never included)."""

    id: int
    kind: str
    state: str
    progress_percent: int
    progress_description: str
    arguments: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    claimed_by: str | None
    heartbeat_at: datetime | None
    certificate_id: int | None
    dns_records: list[dict[str, Any]]


class JobRepository:
    """Jobs in one session (one transaction)."""

    def __init__(self, session: Session, box: SecretBox) -> None:
        self.session = session
        self.box = box

    def add(
        self,
        kind: str,
        arguments: Mapping[str, Any],
        now: datetime,
        *,
        certificate_id: int | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> JobRecord:
        row = JobRow(
            kind=kind,
            state="WAITING",
            progress_percent=0,
            progress_description="Waiting for a worker",
            arguments=dict(arguments),
            created_at=now,
            certificate_id=certificate_id,
            secrets_enc=self.box.encrypt_json(dict(secrets)) if secrets else None,
        )
        self.session.add(row)
        self.session.flush()
        return _record(row)

    def get(self, job_id: int) -> JobRecord:
        row = self.session.get(JobRow, job_id)
        if row is None:
            raise NotFound("job", job_id)
        return _record(row)

    def list(self, limit: int, offset: int = 0) -> tuple[builtins.list[JobRecord], int]:
        """One page, newest first, and the total."""
        total = self.session.scalar(select(func.count(JobRow.id))) or 0
        rows = self.session.scalars(
            select(JobRow).order_by(JobRow.id.desc()).limit(limit).offset(offset)
        )
        return [_record(r) for r in rows], total

    def active(self, kinds: Sequence[str]) -> builtins.list[JobRecord]:
        """Jobs of ``kinds`` that wait or run."""
        rows = self.session.scalars(
            select(JobRow).where(JobRow.kind.in_(kinds), JobRow.state.in_(ACTIVE_STATES))
        )
        return [_record(r) for r in rows]

    def secrets(self, job_id: int) -> dict[str, str]:
        token = self.session.scalar(select(JobRow.secrets_enc).where(JobRow.id == job_id))
        if not token:
            return {}
        value = self.box.decrypt_json(token)
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def claim(
        self, worker: str, now: datetime, *, job_id: int | None = None, kinds: Sequence[str] = ()
    ) -> JobRecord | None:
        """Take the oldest WAITING job (or ``job_id``) for ``worker``; None when there is none
        or another worker was faster."""
        query = select(JobRow.id).where(JobRow.state == "WAITING")
        if job_id is not None:
            query = query.where(JobRow.id == job_id)
        if kinds:
            query = query.where(JobRow.kind.in_(kinds))
        query = query.order_by(JobRow.id).limit(1).with_for_update(skip_locked=True)
        candidate = self.session.scalar(query)
        if candidate is None:
            return None
        result = self.session.execute(
            update(JobRow)
            .where(JobRow.id == candidate, JobRow.state == "WAITING")
            .values(
                state="RUNNING",
                claimed_by=worker,
                started_at=now,
                heartbeat_at=now,
                progress_description="Started",
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        self.session.expire_all()
        return self.get(candidate)

    def progress(
        self, job_id: int, worker: str, percent: int, description: str, now: datetime
    ) -> bool:
        return self._update_own(
            job_id,
            worker,
            progress_percent=percent,
            progress_description=description[:512],
            heartbeat_at=now,
        )

    def heartbeat(self, job_id: int, worker: str, now: datetime) -> bool:
        return self._update_own(job_id, worker, heartbeat_at=now)

    def set_dns_records(
        self, job_id: int, worker: str, records: Sequence[Mapping[str, Any]]
    ) -> bool:
        return self._update_own(job_id, worker, dns_records=[dict(r) for r in records] or None)

    def finish(
        self,
        job_id: int,
        worker: str,
        state: str,
        now: datetime,
        *,
        result: Mapping[str, Any] | None = None,
        error: Mapping[str, Any] | None = None,
        description: str | None = None,
        percent: int | None = None,
    ) -> bool:
        """Mark the job done; False when it is no longer this worker's (declared dead)."""
        if state not in FINAL_STATES:
            raise ValueError(f"{state!r} is not a final state")
        values: dict[str, Any] = {
            "state": state,
            "finished_at": now,
            "result": dict(result) if result is not None else None,
            "error": dict(error) if error is not None else None,
            "secrets_enc": None,
        }
        if description is not None:
            values["progress_description"] = description[:512]
        if percent is not None:
            values["progress_percent"] = percent
        return self._update_own(job_id, worker, **values)

    def stale(self, heartbeat_before: datetime) -> builtins.list[JobRecord]:
        """RUNNING jobs whose worker has not been heard of since ``heartbeat_before``."""
        rows = self.session.scalars(
            select(JobRow)
            .where(JobRow.state == "RUNNING", JobRow.heartbeat_at < heartbeat_before)
            .order_by(JobRow.id)
        )
        return [_record(r) for r in rows]

    def fail_abandoned(
        self, job: JobRecord, now: datetime, error: Mapping[str, Any], description: str
    ) -> bool:
        """Mark a stale job FAILED unless its worker came back (heartbeat moved) or another
        instance did it first; True when this call did it."""
        result = self.session.execute(
            update(JobRow)
            .where(
                JobRow.id == job.id,
                JobRow.state == "RUNNING",
                JobRow.heartbeat_at == job.heartbeat_at,
            )
            .values(
                state="FAILED",
                finished_at=now,
                error=dict(error),
                progress_description=description[:512],
                secrets_enc=None,
            )
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1

    def amend_error_message(self, job_id: int, message: str) -> None:
        """Replace the message of a finished job's error (a note about its clean-up)."""
        row = self.session.get(JobRow, job_id)
        if row is not None and row.error is not None:
            row.error = {**row.error, "message": message}

    def link_certificate(self, job_id: int, certificate_id: int) -> None:
        self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(certificate_id=certificate_id)
            .execution_options(synchronize_session=False)
        )

    def set_dns_records_any(self, job_id: int, records: Sequence[Mapping[str, Any]]) -> None:
        """Replace the DNS records of a job whatever its state (clean-up after a crash)."""
        self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(dns_records=[dict(r) for r in records] or None)
            .execution_options(synchronize_session=False)
        )

    def clear_dns_records(self, job_id: int) -> None:
        self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(dns_records=None)
            .execution_options(synchronize_session=False)
        )

    def _update_own(self, job_id: int, worker: str, **values: Any) -> bool:
        result = self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.state == "RUNNING", JobRow.claimed_by == worker)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1


def _record(row: JobRow) -> JobRecord:
    return JobRecord(
        id=row.id,
        kind=row.kind,
        state=row.state,
        progress_percent=row.progress_percent,
        progress_description=row.progress_description,
        arguments=dict(row.arguments or {}),
        result=row.result,
        error=row.error,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        claimed_by=row.claimed_by,
        heartbeat_at=row.heartbeat_at,
        certificate_id=row.certificate_id,
        dns_records=list(row.dns_records or []),
    )
