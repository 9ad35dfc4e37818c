"""Jobs: long work (issuance, renewal) persisted with progress, run by worker threads.

``enqueue`` stores a WAITING job; a ``JobRunner`` (``job_runner.py``: ``settings.workers``
threads inside ``certdesk serve``, started and stopped by the app's lifespan through
``running_jobs``) claims
jobs through the database, so each runs exactly once even with several instances on one
PostgreSQL. ``run_job`` runs one given job in the calling thread (the CLI does this). While a
job runs, a heartbeat is written every few seconds; a RUNNING job whose heartbeat is older than
``STALE_AFTER`` belonged to a process that died: ``recover_interrupted`` (run when a runner
starts, and now and then afterwards) marks it FAILED with the reason and lets its kind clean up
what it left behind (TXT records). Every error becomes the job's ``error`` document: message,
error class, the CA's problem document whole and field errors.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from certdesk.errors import ACMEError, CertdeskError, Conflict, InvalidInput
from certdesk.services.certificate_schemas import JobError, JobOut, JobPage, JobProgress
from certdesk.services.context import AppContext
from certdesk.services.paging import check_page
from certdesk.storage.jobs import FINAL_STATES as FINAL_STATES
from certdesk.storage.jobs import JobRecord, JobRepository

if TYPE_CHECKING:
    from certdesk.services.job_runner import JobRunner

log = logging.getLogger(__name__)

#: Seconds between two heartbeats of a running job.
HEARTBEAT_INTERVAL = 5.0
#: A RUNNING job not heard of for this long is taken for dead.
STALE_AFTER = timedelta(seconds=60)
MAX_PAGE = 500
#: Seconds between two writes of a running job's progress to its row.
PROGRESS_WRITE_INTERVAL = 0.25

ProgressListener = Callable[[int, str], None]

#: The running runner of each context, to wake when a job is enqueued (``job_runner``).
WAKERS: dict[int, Callable[[], None]] = {}


@dataclass(frozen=True)
class JobKind:
    """How to run one kind of job, and how to clean up after one that was interrupted."""

    run: Callable[[AppContext, RunningJob], Mapping[str, Any]]
    recover: Callable[[AppContext, JobRecord], str]


def _kinds() -> dict[str, JobKind]:
    # Imported here: the issuance module enqueues jobs through this one.
    from certdesk.services.issuance import JOB_KINDS

    return JOB_KINDS


@dataclass
class RunningJob:
    """The handle a job's code reports through: progress, the DNS records it wrote, secrets."""

    ctx: AppContext
    record: JobRecord
    worker: str
    listener: ProgressListener | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last: tuple[int, str] = (-1, "")
    _written_at: float = float("-inf")

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def percent(self) -> int:
        """The progress reported last (0 before any)."""
        return max(0, self._last[0])

    @property
    def arguments(self) -> dict[str, Any]:
        return self.record.arguments

    def progress(self, percent: int, description: str) -> None:
        """Record progress (monotonic percent, 0–100) and tell the listener. The row is written
        at most every ``PROGRESS_WRITE_INTERVAL`` seconds (each write is a commit); the final
        state is always written when the job ends."""
        with self._lock:
            percent = max(self._last[0], min(100, int(percent)))
            if (percent, description) == self._last:
                return
            self._last = (percent, description)
            now = time.monotonic()
            if now - self._written_at >= PROGRESS_WRITE_INTERVAL:
                self._written_at = now
                with self.ctx.db.session() as session:
                    JobRepository(session, self.ctx.box).progress(
                        self.id, self.worker, percent, description, self.ctx.clock.now()
                    )
        if self.listener is not None:
            self.listener(percent, description)

    def set_dns_records(self, records: Sequence[Mapping[str, Any]]) -> None:
        with self.ctx.db.session() as session:
            JobRepository(session, self.ctx.box).set_dns_records(self.id, self.worker, records)

    def secrets(self) -> dict[str, str]:
        with self.ctx.db.session() as session:
            return JobRepository(session, self.ctx.box).secrets(self.id)


# -- use cases ---------------------------------------------------------------------------------


def enqueue(
    ctx: AppContext,
    kind: str,
    arguments: Mapping[str, Any],
    *,
    certificate_id: int | None = None,
    secrets: Mapping[str, str] | None = None,
) -> int:
    """Store a WAITING job and wake this process's runner; returns the job id."""
    with ctx.db.session() as session:
        record = JobRepository(session, ctx.box).add(
            kind, arguments, ctx.clock.now(), certificate_id=certificate_id, secrets=secrets
        )
    wake = WAKERS.get(id(ctx))
    if wake is not None:
        wake()
    return record.id


def get(ctx: AppContext, job_id: int) -> JobOut:
    with ctx.db.session() as session:
        return job_out(JobRepository(session, ctx.box).get(job_id))


def list_jobs(ctx: AppContext, limit: int = 50, offset: int = 0) -> JobPage:
    check_page(limit, offset, MAX_PAGE)
    with ctx.db.session() as session:
        records, total = JobRepository(session, ctx.box).list(limit, offset)
    return JobPage(items=[job_out(r) for r in records], total=total)


def active_jobs(ctx: AppContext, kinds: Sequence[str]) -> list[JobRecord]:
    with ctx.db.session() as session:
        return JobRepository(session, ctx.box).active(kinds)


def worker_name(suffix: str = "") -> str:
    """A name for a worker unique across hosts, processes and runners."""
    base = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return f"{base}:{suffix}" if suffix else base


def run_job(
    ctx: AppContext,
    job_id: int | None = None,
    *,
    worker: str | None = None,
    listener: ProgressListener | None = None,
    kinds: Sequence[str] = (),
) -> JobOut | None:
    """Claim ``job_id`` (or the oldest waiting job) and run it in this thread; None when there
    was nothing to claim (another worker has it)."""
    worker = worker or worker_name()
    with ctx.db.session() as session:
        record = JobRepository(session, ctx.box).claim(
            worker, ctx.clock.now(), job_id=job_id, kinds=kinds
        )
    if record is None:
        return None
    job = RunningJob(ctx, record, worker, listener)
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(ctx, record.id, worker, stop), daemon=True, name=f"beat-{job_id}"
    )
    beat.start()
    try:
        _execute(ctx, job)
    finally:
        stop.set()
        beat.join(timeout=HEARTBEAT_INTERVAL * 2)
    return get(ctx, record.id)


def _execute(ctx: AppContext, job: RunningJob) -> None:
    kind = _kinds().get(job.record.kind)
    state, result, error = "FAILED", None, None
    description = "Failed"
    try:
        if kind is None:
            raise InvalidInput.single("kind", f"certdesk cannot run jobs of kind {job.record.kind}")
        result = dict(kind.run(ctx, job))
        state, description = "SUCCESS", job._last[1] or "Done"
    except CertdeskError as exc:
        error = error_document(exc)
        description = f"Failed: {exc.message}"
    except Exception as exc:  # the job boundary: the error is kept, the worker lives on
        log.exception("job %s (%s) failed unexpectedly", job.id, job.record.kind)
        error = {
            "message": f"certdesk failed unexpectedly ({type(exc).__name__}); the server log "
            "has the details.",
            "kind": type(exc).__name__,
            "acme_problem": None,
            "errors": [],
        }
        description = "Failed unexpectedly"
    with ctx.db.session() as session:
        finished = JobRepository(session, ctx.box).finish(
            job.id,
            job.worker,
            state,
            ctx.clock.now(),
            result=result,
            error=error,
            description=description,
            percent=100 if state == "SUCCESS" else None,
        )
    if not finished:
        log.warning("job %s was declared dead while it ran; its outcome was not kept", job.id)
    if job.listener is not None and state != "SUCCESS":
        job.listener(job._last[0] if job._last[0] >= 0 else 0, description)


def error_document(exc: CertdeskError) -> dict[str, Any]:
    """The job ``error`` for ``exc``: message, class, ACME problem, field errors."""
    errors: list[dict[str, str]] = []
    if isinstance(exc, InvalidInput):
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
    elif isinstance(exc, Conflict) and exc.field:
        errors = [{"field": exc.field, "message": exc.message}]
    problem = exc.problem.as_dict() if isinstance(exc, ACMEError) and exc.problem else None
    return {
        "message": exc.message,
        "kind": type(exc).__name__,
        "acme_problem": problem,
        "errors": errors,
    }


def _heartbeat(ctx: AppContext, job_id: int, worker: str, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_INTERVAL):
        try:
            with ctx.db.session() as session:
                JobRepository(session, ctx.box).heartbeat(job_id, worker, ctx.clock.now())
        except CertdeskError:
            log.warning("heartbeat of job %s could not be written", job_id)


def recover_interrupted(ctx: AppContext, *, stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Mark jobs whose worker died FAILED (with the reason) and clean up after them; returns
    their ids. Safe to run from several instances at once: each job is recovered once."""
    now = ctx.clock.now()
    with ctx.db.session() as session:
        stale = JobRepository(session, ctx.box).stale(now - stale_after)
    recovered: list[int] = []
    for record in stale:
        seen = record.heartbeat_at.isoformat(timespec="seconds") if record.heartbeat_at else "?"
        message = (
            f"Interrupted: the certdesk process running this job stopped (last heard of at "
            f"{seen}). Start it again."
        )
        with ctx.db.session() as session:
            won = JobRepository(session, ctx.box).fail_abandoned(
                record,
                now,
                {"message": message, "kind": "Interrupted", "acme_problem": None, "errors": []},
                "Interrupted",
            )
        if not won:
            continue
        recovered.append(record.id)
        kind = _kinds().get(record.kind)
        if kind is None:
            continue
        try:
            note = kind.recover(ctx, record)
        except CertdeskError as exc:
            note = f"Cleaning up failed: {exc.message}"
        if note:
            with ctx.db.session() as session:
                JobRepository(session, ctx.box).amend_error_message(record.id, f"{message} {note}")
    return recovered


def job_out(record: JobRecord) -> JobOut:
    error = None
    if record.error:
        error = JobError(
            message=str(record.error.get("message", "")),
            kind=str(record.error.get("kind", "")),
            acme_problem=record.error.get("acme_problem"),
            errors=list(record.error.get("errors") or []),
        )
    return JobOut(
        id=record.id,
        kind=record.kind,
        state=record.state,  # type: ignore[arg-type]
        progress=JobProgress(
            percent=record.progress_percent, description=record.progress_description
        ),
        arguments=record.arguments,
        result=record.result,
        error=error,
        certificate_id=record.certificate_id,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
    )


@contextmanager
def running_jobs(ctx: AppContext, workers: int | None = None) -> Iterator[JobRunner]:
    """A started ``JobRunner`` for the duration of the block (the app's lifespan uses this)."""
    from certdesk.services.job_runner import JobRunner

    runner = JobRunner(ctx, workers).start()
    try:
        yield runner
    finally:
        runner.stop()
