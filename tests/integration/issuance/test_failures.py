"""What goes wrong, and what is left afterwards: a wrong TSIG key fails the job with the reason
and leaves no TXT record (also none of the other authenticator's); a CA that sees another value
than the one written fails the job with its problem document kept whole; a job interrupted after
its records were written is failed and cleaned up by the next start; the noisy Pebble (random
validation delay, 30 % rejected nonces) still issues."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from certdesk.services import certificates, jobs
from certdesk.services.context import AppContext
from tests.fixtures.bind import BindServer
from tests.fixtures.pebble import PebbleServer
from tests.integration.issuance.conftest import test_settings
from tests.integration.issuance.helpers import (
    ACTOR,
    add_rfc2136,
    issue,
    make_csr,
    request,
    unique_domain,
    unique_name,
)

pytestmark = [pytest.mark.pebble, pytest.mark.bind]

WRONG_SECRET = "c2VjcmV0IHRoYXQgbm8gc2VydmVyIGtub3dzIGF0IGFsbCEhISEhISEhISEhIQ=="


def test_wrong_tsig_key_fails_the_job_and_leaves_no_record(
    ctx: AppContext, pebble: PebbleServer, bind_server: BindServer
) -> None:
    good_domain, bad_domain = unique_domain(), unique_domain("other.test")
    csr_id = make_csr(ctx, good_domain, bad_domain)
    good = add_rfc2136(ctx, bind_server)
    bad = add_rfc2136(ctx, bind_server, secret=WRONG_SECRET, name=unique_name("wrongkey"))
    job = issue(ctx, request(pebble, unique_name(), csr_id, {good_domain: good, bad_domain: bad}))

    assert job.state == "FAILED"
    assert job.error is not None
    assert job.error.kind == "DNSError"
    assert bad_domain in job.error.message
    assert "TSIG" in job.error.message and "check key name, secret and algorithm" in (
        job.error.message
    )
    assert WRONG_SECRET not in job.error.message
    for domain in (good_domain, bad_domain):
        assert bind_server.query_txt(f"_acme-challenge.{domain}.") == []
    assert certificates.list_certificates(ctx).total == 0
    assert job.progress.description.startswith("Failed")


def test_the_ca_seeing_another_value_keeps_its_problem_whole(
    ctx: AppContext,
    pebble: PebbleServer,
    bind_server: BindServer,
    bind_factory: Callable[..., BindServer],
) -> None:
    """The authenticator writes into a second nameserver for the same zone: the propagation
    check (which asks that server) passes, but Pebble asks the session's BIND and finds nothing."""
    shadow = bind_factory(zones=("certdesk.test.",))
    domain = unique_domain()
    csr_id = make_csr(ctx, domain)
    auth = add_rfc2136(ctx, shadow)
    job = issue(ctx, request(pebble, unique_name(), csr_id, {domain: auth}))

    assert job.state == "FAILED"
    assert job.error is not None and job.error.kind == "ACMEError"
    problem = job.error.acme_problem
    assert problem is not None
    assert problem["type"].startswith("urn:ietf:params:acme:error:")
    assert problem["detail"]
    assert domain in job.error.message
    assert shadow.query_txt(f"_acme-challenge.{domain}.") == []


def test_the_noisy_pebble_still_issues(
    ctx: AppContext, pebble_noisy: PebbleServer, bind_server: BindServer
) -> None:
    a, b = unique_domain(), unique_domain()
    csr_id = make_csr(ctx, a, b)
    auth = add_rfc2136(ctx, bind_server)
    for _ in range(2):  # 30 % of nonces are rejected: several orders see it for sure
        job = issue(ctx, request(pebble_noisy, unique_name(), csr_id, {a: auth, b: auth}))
        assert job.state == "SUCCESS", job.error


class _Crash(BaseException):
    """Ends the job thread the way a killed process ends: no error handling runs."""


class _LaterClock:
    """The system clock, ``offset`` ahead (the next start happens later)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def test_a_restart_in_the_middle_leaves_no_record_and_fails_the_job(
    db_ctx: AppContext, pebble: PebbleServer, bind_server: BindServer, tmp_path: Path
) -> None:
    ctx = db_ctx
    a, b = unique_domain(), unique_domain()
    csr_id = make_csr(ctx, a, b)
    auth = add_rfc2136(ctx, bind_server)
    created = certificates.create_acme(
        ctx, request(pebble, unique_name(), csr_id, {a: auth, b: auth}), ACTOR
    )
    written, release = threading.Event(), threading.Event()

    def listener(percent: int, description: str) -> None:
        if description.startswith("Waiting until the TXT records"):
            written.set()
            release.wait(timeout=120)
            raise _Crash

    def run() -> None:
        with contextlib.suppress(_Crash):
            jobs.run_job(ctx, created.job_id, listener=listener)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert written.wait(timeout=60), jobs.get(ctx, created.job_id)
        for domain in (a, b):
            assert len(bind_server.query_txt(f"_acme-challenge.{domain}.")) == 1
        assert jobs.get(ctx, created.job_id).state == "RUNNING"

        # The next start of certdesk, a few minutes later, on the same data.
        later = AppContext.open(
            test_settings(ctx.settings.data_dir, ctx.settings.database_url),
            clock=_LaterClock(timedelta(minutes=5)),
        )
        try:
            with jobs.running_jobs(later, workers=1):
                pass
            job = jobs.get(later, created.job_id)
        finally:
            later.close()
        assert job.state == "FAILED"
        assert job.error is not None and "Interrupted" in job.error.message
        assert "2 TXT record(s) were removed" in job.error.message
        for domain in (a, b):
            assert bind_server.query_txt(f"_acme-challenge.{domain}.") == []
    finally:
        release.set()
        thread.join(timeout=60)
    # The old worker, had it lived on, cannot overwrite the outcome.
    assert jobs.get(ctx, created.job_id).state == "FAILED"
