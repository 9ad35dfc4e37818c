"""The job runner: jobs enqueued are run exactly once even by several instances (runners on their
own engines) on one database — PostgreSQL claims with SKIP LOCKED, SQLite with a conditional
update; errors become the job's error document; a job the runner does not know fails cleanly."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest

from certdesk.errors import ACMEError, ACMEProblem
from certdesk.services import issuance, jobs
from certdesk.services.context import AppContext
from certdesk.services.job_runner import JobRunner
from tests.integration.issuance.conftest import test_settings

COUNT_KIND = "test.count"
FAIL_KIND = "test.fail"


def wait_all_done(ctx: AppContext, ids: list[int], timeout: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        states = [jobs.get(ctx, i).state for i in ids]
        if all(s in ("SUCCESS", "FAILED") for s in states):
            return states
        assert time.monotonic() < deadline, states
        time.sleep(0.05)  # polling a condition with a deadline


def test_each_job_runs_exactly_once_across_instances(
    db_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: Counter[int] = Counter()
    lock = threading.Lock()

    def count(ctx: AppContext, job: jobs.RunningJob) -> Mapping[str, Any]:
        with lock:
            runs[job.id] += 1
        job.progress(50, f"job {job.id} halfway")
        return {"worker": job.worker}

    monkeypatch.setitem(
        issuance.JOB_KINDS, COUNT_KIND, jobs.JobKind(run=count, recover=lambda c, r: "")
    )
    ids = [jobs.enqueue(db_ctx, COUNT_KIND, {"n": n}) for n in range(30)]
    others = [
        AppContext.open(test_settings(db_ctx.settings.data_dir, db_ctx.settings.database_url))
        for _ in range(2)
    ]
    runners = [JobRunner(c, workers=3, poll_interval=0.05) for c in [db_ctx, *others]]
    try:
        for runner in runners:
            runner.start()
        assert set(wait_all_done(db_ctx, ids)) == {"SUCCESS"}
    finally:
        for runner in runners:
            runner.stop()
        for other in others:
            other.close()
    assert runs == Counter({i: 1 for i in ids})
    workers = {jobs.get(db_ctx, i).result["worker"] for i in ids}  # type: ignore[index]
    assert len(workers) > 1


def test_an_error_becomes_the_error_document(
    db_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem = ACMEProblem(
        type="urn:ietf:params:acme:error:rejectedIdentifier",
        detail="no",
        status=400,
        identifier="a.example",
    )

    def fail(ctx: AppContext, job: jobs.RunningJob) -> Mapping[str, Any]:
        raise ACMEError("The CA said no", problem)

    monkeypatch.setitem(
        issuance.JOB_KINDS, FAIL_KIND, jobs.JobKind(run=fail, recover=lambda c, r: "")
    )
    job_id = jobs.enqueue(db_ctx, FAIL_KIND, {}, secrets={"eab_hmac_key": "c2VjcmV0"})
    done = jobs.run_job(db_ctx, job_id)
    assert done is not None and done.state == "FAILED"
    assert done.error is not None
    assert done.error.message == "The CA said no"
    assert done.error.acme_problem == problem.as_dict()
    assert "c2VjcmV0" not in done.model_dump_json()
    assert jobs.run_job(db_ctx, job_id) is None  # finished jobs are never claimed again


def test_an_unknown_kind_fails_cleanly(db_ctx: AppContext) -> None:
    job_id = jobs.enqueue(db_ctx, "no.such.kind", {})
    done = jobs.run_job(db_ctx, job_id)
    assert done is not None and done.state == "FAILED"
    assert done.error is not None and "no.such.kind" in done.error.message
