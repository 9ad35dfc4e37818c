"""Background delivery of alerts, so that a slow or dead webhook never holds up a renewal sweep.

``DeliveryWorker`` is one daemon thread reading a bounded queue of batches (one batch: the
alerts one sweep claimed). ``submit`` appends and returns at once; the thread sends each batch
through the ``send`` it was given (``Notifier.send``: retries and back-off happen here, in the
worker) and keeps the last outcomes. When the queue is full the *oldest* batch is dropped with a
warning. ``stop`` stops accepting, lets queued and in-flight deliveries finish until a deadline,
then interrupts retry back-off (through the ``interrupt`` event the sender waits on), drops what
is left with a warning and returns — a stalled receiver never hangs the process (the thread is
a daemon; an HTTP request in flight ends at its own timeout). ``wait_idle`` waits on a condition
until everything submitted has been tried, for tests and orderly shutdowns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from certdesk.services.notify import Alert, NotifyResult

log = logging.getLogger(__name__)

#: Batches waiting at most; a sweep adds one only when it claimed new alerts or reminders.
DEFAULT_CAPACITY = 64
#: Seconds ``stop`` gives queued and in-flight deliveries before giving up on them.
DEFAULT_SHUTDOWN_DEADLINE = 5.0
#: Seconds ``stop`` waits for the thread after interrupting it, on top of the deadline.
_JOIN_GRACE = 0.5
#: Outcomes kept for inspection.
_OUTCOMES_KEPT = 100


@dataclass(frozen=True)
class DeliveryOutcome:
    """How one batch went: the alerts and every delivery of them (``None``: the sender failed
    unexpectedly; it was logged)."""

    alerts: tuple[Alert, ...]
    result: NotifyResult | None


def _describe(alerts: Sequence[Alert]) -> str:
    names = sorted({f"{a.kind.value} {a.certificate}" for a in alerts})
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"{len(alerts)} alert(s) ({shown})"


class DeliveryWorker:
    """One thread delivering queued alert batches through ``send``; see the module docstring."""

    def __init__(
        self,
        send: Callable[[Sequence[Alert]], NotifyResult],
        interrupt: threading.Event,
        *,
        capacity: int = DEFAULT_CAPACITY,
        name: str = "certdesk-notify",
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._send = send
        self._interrupt = interrupt
        self.capacity = capacity
        self._name = name
        self._queue: deque[tuple[Alert, ...]] = deque()
        self._cond = threading.Condition()
        self._busy = 0  # batches being sent right now
        self._accepting = False
        self._closing = False
        #: Bumped by each ``start``: a thread of an earlier run that is still finishing a
        #: stalled delivery ends after it instead of competing for the new run's queue.
        self._generation = 0
        self._thread: threading.Thread | None = None
        self.outcomes: deque[DeliveryOutcome] = deque(maxlen=_OUTCOMES_KEPT)
        #: Batches dropped (queue full or shut down before they were sent).
        self.dropped = 0

    @property
    def accepting(self) -> bool:
        return self._accepting

    def start(self) -> DeliveryWorker:
        with self._cond:
            if self._thread is not None:
                raise RuntimeError("the delivery worker is running already")
            self._interrupt.clear()
            self._accepting, self._closing = True, False
            self._generation += 1
            self._thread = threading.Thread(
                target=self._loop, args=(self._generation,), daemon=True, name=self._name
            )
            self._thread.start()
        return self

    def submit(self, alerts: Sequence[Alert]) -> bool:
        """Queue ``alerts`` for delivery and return at once; false when not accepted (stopped)."""
        batch = tuple(alerts)
        if not batch:
            return True
        with self._cond:
            if not self._accepting:
                self.dropped += 1
                log.warning("alert delivery is stopped: %s not sent", _describe(batch))
                return False
            if len(self._queue) >= self.capacity:
                # Drop the oldest: the newest batch is the current state (an alert in an old
                # batch may since have changed, e.g. expiring → expired), and every dropped
                # alert is claimed again as a reminder after its repeat interval anyway.
                old = self._queue.popleft()
                self.dropped += 1
                log.warning(
                    "alert delivery queue full (%d batches, deliveries are stalled): dropped "
                    "the oldest batch, %s",
                    self.capacity,
                    _describe(old),
                )
            self._queue.append(batch)
            self._cond.notify_all()
        return True

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every submitted batch has been tried (or dropped); false at ``timeout``."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    @property
    def last_outcome(self) -> DeliveryOutcome | None:
        with self._cond:
            return self.outcomes[-1] if self.outcomes else None

    def stop(self, deadline: float = DEFAULT_SHUTDOWN_DEADLINE) -> bool:
        """Stop accepting, give queued and in-flight deliveries ``deadline`` seconds, then
        interrupt retries and drop the rest. Returns within about ``deadline`` + 0.5 s; true when
        everything submitted was tried and the thread ended."""
        started = time.monotonic()
        with self._cond:
            thread = self._thread
            self._accepting = False
            self._closing = True
            self._cond.notify_all()
        if thread is None:
            return True
        drained = self.wait_idle(max(0.0, deadline - (time.monotonic() - started)))
        if not drained:
            self._interrupt.set()  # no more back-off or retries for the batch in flight
            with self._cond:
                left = list(self._queue)
                self._queue.clear()
                self.dropped += len(left)
                self._cond.notify_all()
            log.warning(
                "alert delivery did not finish within %.1f s of shutdown: gave up on the "
                "delivery in flight and %d queued batch(es)%s",
                deadline,
                len(left),
                f" ({', '.join(_describe(b) for b in left)})" if left else "",
            )
        thread.join(timeout=_JOIN_GRACE)
        ended = not thread.is_alive()
        with self._cond:
            self._thread = None
        return drained and ended

    def _loop(self, generation: int) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: bool(self._queue) or self._closing or self._generation != generation
                )
                if not self._queue or self._generation != generation:
                    return
                batch = self._queue.popleft()
                self._busy += 1
            result: NotifyResult | None = None
            try:
                result = self._send(batch)
            except Exception:  # the thread's boundary: log, and go on with the next batch
                log.exception("alert delivery failed unexpectedly: %s", _describe(batch))
            finally:
                with self._cond:
                    self._busy -= 1
                    self.outcomes.append(DeliveryOutcome(batch, result))
                    self._cond.notify_all()
