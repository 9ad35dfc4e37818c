"""The job runner: worker threads inside ``certdesk serve`` (``settings.workers``) that claim
WAITING jobs through the database and run them (``jobs.run_job``), woken at once when this
process enqueues a job and otherwise asking every ``POLL_INTERVAL`` seconds (jobs enqueued by
other instances or by the renewal scheduler). On start, and every ``RECOVER_INTERVAL`` seconds
afterwards, jobs abandoned by dead processes are failed and cleaned up
(``jobs.recover_interrupted``). Started and stopped by the app's lifespan (``jobs.running_jobs``).
"""

from __future__ import annotations

import logging
import threading
import time

from certdesk.errors import CertdeskError
from certdesk.services.context import AppContext
from certdesk.services.jobs import WAKERS, recover_interrupted, run_job, worker_name

log = logging.getLogger(__name__)

#: Seconds a worker waits for new work before asking the database again.
POLL_INTERVAL = 0.5
#: Seconds between two looks for jobs abandoned by dead instances.
RECOVER_INTERVAL = 30.0


class JobRunner:
    """``workers`` threads claiming and running jobs until ``stop``."""

    def __init__(
        self, ctx: AppContext, workers: int | None = None, poll_interval: float = POLL_INTERVAL
    ) -> None:
        self.ctx = ctx
        self.workers = max(1, workers if workers is not None else ctx.settings.workers)
        self.poll_interval = poll_interval
        self.name = worker_name()
        self._stop = threading.Event()
        self._work = threading.Condition()
        self._pending = 0
        self._threads: list[threading.Thread] = []

    def start(self) -> JobRunner:
        try:
            recover_interrupted(self.ctx)
        except CertdeskError:
            log.exception("could not look for interrupted jobs")
        for index in range(self.workers):
            thread = threading.Thread(
                target=self._loop, args=(index,), daemon=True, name=f"certdesk-job-{index}"
            )
            thread.start()
            self._threads.append(thread)
        WAKERS[id(self.ctx)] = self.wake
        return self

    def wake(self) -> None:
        with self._work:
            self._pending += 1
            self._work.notify()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; wait up to ``timeout`` s for running jobs (a job still running then
        is recovered by the next start)."""
        self._stop.set()
        with self._work:
            self._work.notify_all()
        for thread in self._threads:
            thread.join(timeout=timeout)
        if WAKERS.get(id(self.ctx)) == self.wake:
            del WAKERS[id(self.ctx)]

    def _loop(self, index: int) -> None:
        worker = f"{self.name}:{index}"
        next_recover = time.monotonic() + RECOVER_INTERVAL
        while not self._stop.is_set():
            try:
                done = run_job(self.ctx, worker=worker)
            except Exception:  # the worker's boundary: log, wait, go on
                log.exception("job runner %s could not claim or finish a job", worker)
                done = None
            if done is not None:
                continue
            with self._work:
                if self._pending == 0 and not self._stop.is_set():
                    self._work.wait(self.poll_interval)
                self._pending = max(0, self._pending - 1)
            if index == 0 and time.monotonic() >= next_recover:
                next_recover = time.monotonic() + RECOVER_INTERVAL
                try:
                    recover_interrupted(self.ctx)
                except CertdeskError:
                    log.exception("could not look for interrupted jobs")
