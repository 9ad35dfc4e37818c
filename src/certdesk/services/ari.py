"""Asking the CAs for ACME Renewal Information (RFC 9773) and planning renewals from it.

``ARIPoller.poll`` runs inside each scheduler sweep: it picks up to ``batch`` live certificates
whose next question is due, connects once per directory (with the CA bundle stored with the
directory's account), asks for each certificate's suggested window and stores it with the
renewal decision it leads to (``renewal_plans.record_renewal_info``: an unchanged window keeps
its chosen time). A certificate never asked about — new, or just renewed (a new serial) — is
asked first. The next question for a certificate is asked after the CA's ``Retry-After``
(between ``min_wait`` and ``max_wait``); a CA without ARI is asked again after a day, and a CA
that fails after ``error_wait`` — the renewal then follows Renew Certificate Days as before. The
times are kept in the database (``storage.sweep_memory.ARIPollTimes``, with the serial asked
about), so a restart asks no certificate before its time; each due certificate is booked there
before it is asked about, so of several instances sharing the database one asks.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from certdesk.acme import ACMEClient
from certdesk.errors import CertdeskError
from certdesk.services.context import AppContext
from certdesk.services.renewal_plans import record_renewal_info
from certdesk.services.renewal_policy import DEFAULT_POLICY, RenewalDecision, RenewalPolicy
from certdesk.storage.accounts import AccountRepository
from certdesk.storage.models import CertificateRow
from certdesk.storage.sweep_memory import ARIPollTimes, ARITarget

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ARIOutcome:
    """What asking about one certificate gave: a new decision (None when the CA has no ARI or
    failed), when to ask again, and the error if it failed."""

    certificate_id: int
    decision: RenewalDecision | None
    next_poll: datetime
    error: str | None = None


class ARIPoller:
    """Keeps asking each CA about its certificates, each when its time has come."""

    def __init__(
        self,
        ctx: AppContext,
        policy: RenewalPolicy = DEFAULT_POLICY,
        *,
        batch: int = 50,
        min_wait: timedelta = timedelta(minutes=1),
        max_wait: timedelta = timedelta(hours=24),
        error_wait: timedelta = timedelta(hours=1),
        no_ari_wait: timedelta = timedelta(hours=24),
        rng: random.Random | None = None,
    ) -> None:
        self.ctx = ctx
        self.policy = policy
        self.batch = batch
        self.min_wait, self.max_wait = min_wait, max_wait
        self.error_wait, self.no_ari_wait = error_wait, no_ari_wait
        self.rng = rng

    def _due(self, now: datetime) -> list[ARITarget]:
        with self.ctx.db.session() as session:
            times = ARIPollTimes(session)
            # Booked until the error wait: another instance polling now skips them.
            return times.claim(times.due(now, self.batch), now, now + self.error_wait)

    def next_poll(self, certificate_id: int) -> datetime | None:
        """When ``certificate_id`` is asked about next (None: at the next sweep)."""
        with self.ctx.db.session() as session:
            stored = ARIPollTimes(session).next_poll(certificate_id)
            row = session.get(CertificateRow, certificate_id)
        if stored is None or row is None or stored[0] != row.serial:
            return None
        return stored[1]

    def _connect(self, directory: str, account_id: int | None) -> ACMEClient:
        ca_bundle = None
        with self.ctx.db.session() as session:
            repo = AccountRepository(session, self.ctx.box, self.ctx.clock)
            account = repo.get(account_id) if account_id is not None else repo.find(directory)
            if account is not None:
                ca_bundle = account.ca_bundle
        return ACMEClient.connect(directory, ca_bundle=ca_bundle, clock=self.ctx.clock)

    def poll(self, now: datetime | None = None) -> list[ARIOutcome]:
        """Ask about the certificates whose turn it is; never raises for a CA's failure."""
        now = now or self.ctx.clock.now()
        by_directory: dict[str, list[ARITarget]] = defaultdict(list)
        for target in self._due(now):
            by_directory[target.directory].append(target)
        outcomes: list[ARIOutcome] = []
        for directory, targets in by_directory.items():
            try:
                client = self._connect(directory, targets[0].account_id)
            except CertdeskError as exc:
                error = f"cannot reach {directory} for renewal information: {exc.message}"
                log.warning("%s", error)
                outcomes += [self._after(t, now + self.error_wait, None, error) for t in targets]
                continue
            if not client.has_renewal_info:
                outcomes += [self._after(t, now + self.no_ari_wait) for t in targets]
                continue
            for target in targets:
                outcomes.append(self._ask(client, target, now))
        return outcomes

    def _ask(self, client: ACMEClient, target: ARITarget, now: datetime) -> ARIOutcome:
        try:
            with self.ctx.db.session() as session:
                row = session.get(CertificateRow, target.id)
                chain = row.chain_pem.encode("ascii") if row is not None else None
            if chain is None:
                return self._after(target, now + self.no_ari_wait)
            info = client.renewal_info(chain)
            if info is None:
                return self._after(target, now + self.no_ari_wait)
            decision = record_renewal_info(
                self.ctx, target.id, info, now, self.policy, rng=self.rng
            )
        except CertdeskError as exc:
            error = f"renewal information for certificate {target.id}: {exc.message}"
            log.warning("%s", error)
            return self._after(target, now + self.error_wait, None, error)
        wait = min(max(info.retry_after - now, self.min_wait), self.max_wait)
        return self._after(target, now + wait, decision)

    def _after(
        self,
        target: ARITarget,
        when: datetime,
        decision: RenewalDecision | None = None,
        error: str | None = None,
    ) -> ARIOutcome:
        try:
            with self.ctx.db.session() as session:
                ARIPollTimes(session).set(target.id, target.serial, when)
        except CertdeskError as exc:  # e.g. deleted meanwhile: asked again next sweep at worst
            log.warning("cannot store when to ask about certificate %s: %s", target.id, exc.message)
        return ARIOutcome(target.id, decision, when, error)
