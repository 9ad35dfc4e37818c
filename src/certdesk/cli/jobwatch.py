"""Running a job from the command line: in this process with progress lines on stderr (or, when
a running ``certdesk serve`` on the same database claimed it first, by following its progress),
and turning a failed job into the error tree, so that the root command's exit codes apply (4 for
a CA or DNS failure) after the CA's problem document was printed whole."""

from __future__ import annotations

import json
import time

import typer

from certdesk.errors import (
    ACMEError,
    ACMEProblem,
    CertdeskError,
    Conflict,
    DNSError,
    FieldError,
    InvalidInput,
)
from certdesk.services import jobs
from certdesk.services.certificate_schemas import JobOut
from certdesk.services.context import AppContext

#: Seconds between two looks at a job another process runs.
FOLLOW_INTERVAL = 0.2


def _print_progress(percent: int, description: str) -> None:
    typer.echo(f"[{percent:3d}%] {description}", err=True)


def run_with_progress(ctx: AppContext, job_id: int, *, quiet: bool = False) -> JobOut:
    """Run ``job_id`` here, printing progress; raise the job's error if it failed."""
    listener = None if quiet else _print_progress
    jobs.recover_interrupted(ctx)  # jobs of a process that died: fail them, remove their records
    done = jobs.run_job(ctx, job_id, listener=listener)
    if done is None:
        done = _follow(ctx, job_id, quiet)
    if done.state != "SUCCESS":
        raise job_failure(done)
    return done


def _follow(ctx: AppContext, job_id: int, quiet: bool) -> JobOut:
    last: tuple[int, str] | None = None
    while True:
        job = jobs.get(ctx, job_id)
        current = (job.progress.percent, job.progress.description)
        if current != last and not quiet:
            _print_progress(*current)
        last = current
        if job.state in jobs.FINAL_STATES:
            return job
        time.sleep(FOLLOW_INTERVAL)  # another process runs it: poll its row


def job_failure(job: JobOut) -> CertdeskError:
    """The error a failed job stands for (its ACME problem printed whole on stderr first)."""
    error = job.error
    if error is None:
        return CertdeskError(f"Job {job.id} ended {job.state}.")
    if error.acme_problem:
        typer.echo("The ACME server's problem document:", err=True)
        typer.echo(json.dumps(error.acme_problem, indent=2, ensure_ascii=False), err=True)
    if error.errors:
        return InvalidInput(FieldError(e["field"], e["message"]) for e in error.errors)
    if error.kind == "ACMEError":
        problem = ACMEProblem.from_dict(error.acme_problem) if error.acme_problem else None
        return ACMEError(error.message, problem)
    if error.kind in ("DNSError", "PropagationTimeout"):
        return DNSError(error.message)
    if error.kind == "Conflict":
        return Conflict(error.message)
    return CertdeskError(error.message)
