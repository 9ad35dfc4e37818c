"""The alerts of the moment, read from the tables: what the UI banner shows and what the
scheduler notifies about.

Only rows that can raise an alert are read — expiring within the widest Renew Certificate Days
(through the ``not_after`` index), or with failed renewals — and revoked certificates never
alert. A failed deploy is taken from the latest finished issue or renewal job of the certificate
when its result carries a ``deploy`` outcome (``DeployResult.as_dict()``).
``AlertMemory`` keeps notifications from repeating on every sweep: an alert is sent when it
appears and again after ``repeat_after`` while it lasts. What was sent when is kept in the
database (``storage.sweep_memory.AlertLog``), so a restart does not send it again early, and of
several instances sharing a PostgreSQL database only the one that claims an alert sends it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from certdesk.services.certificate_schemas import MAX_RENEW_DAYS
from certdesk.services.context import AppContext
from certdesk.services.deployment import CERTIFICATE_JOB_KINDS
from certdesk.services.notify import Alert, current_alerts
from certdesk.services.renewal_policy import CertificateFacts
from certdesk.storage.models import CertificateRow, JobRow
from certdesk.storage.sweep_memory import AlertKey, AlertLog

#: The widest Renew Certificate Days the API accepts: no certificate expiring later can alert.
_FACT_COLUMNS = (
    CertificateRow.id,
    CertificateRow.name,
    CertificateRow.not_before,
    CertificateRow.not_after,
    CertificateRow.renew_days,
    CertificateRow.failure_count,
    CertificateRow.last_error,
)


def _deploy_error(result: dict[str, Any] | None) -> str | None:
    deploy = (result or {}).get("deploy")
    if not isinstance(deploy, dict) or deploy.get("ok", True):
        return None
    for step in deploy.get("steps") or []:
        if isinstance(step, dict) and not step.get("ok", True):
            return f"{step.get('name', 'deploy')}: {step.get('error') or 'failed'}"
    return "the deploy failed"


def alert_facts(ctx: AppContext, now: datetime) -> list[CertificateFacts]:
    """The facts of every certificate that may need attention at ``now``."""
    horizon = now + timedelta(days=MAX_RENEW_DAYS)
    with ctx.db.session() as session:
        rows = list(
            session.execute(
                select(*_FACT_COLUMNS).where(
                    CertificateRow.revoked_at.is_(None),
                    or_(CertificateRow.not_after <= horizon, CertificateRow.failure_count > 0),
                )
            )
        )
        latest = (
            select(JobRow.certificate_id, func.max(JobRow.id).label("job_id"))
            .where(
                JobRow.kind.in_(CERTIFICATE_JOB_KINDS),
                JobRow.state.in_(("SUCCESS", "FAILED")),
                JobRow.certificate_id.is_not(None),
            )
            .group_by(JobRow.certificate_id)
            .subquery()
        )
        deploy_errors = {
            certificate_id: error
            for certificate_id, result in session.execute(
                select(JobRow.certificate_id, JobRow.result).join(
                    latest, JobRow.id == latest.c.job_id
                )
            )
            if (error := _deploy_error(result)) is not None
        }
        # A failed deploy alerts whatever the expiry, so those rows are read too.
        missing = set(deploy_errors) - {row.id for row in rows}
        if missing:
            rows += list(
                session.execute(
                    select(*_FACT_COLUMNS).where(
                        CertificateRow.id.in_(missing), CertificateRow.revoked_at.is_(None)
                    )
                )
            )
    return [
        CertificateFacts(
            name=row.name,
            not_before=row.not_before,
            not_after=row.not_after,
            renew_days=row.renew_days,
            failure_count=row.failure_count,
            last_error=row.last_error,
            deploy_error=deploy_errors.get(row.id),
        )
        for row in sorted(rows, key=lambda r: r.name)
    ]


def active_alerts(ctx: AppContext, now: datetime | None = None) -> list[Alert]:
    """What needs attention now (the UI banner), most severe first."""
    moment = now or ctx.clock.now()
    return current_alerts(alert_facts(ctx, moment), moment)


def _key(alert: Alert) -> AlertKey:
    return (alert.kind.value, alert.certificate)


class AlertMemory:
    """Which alerts were notified when, so that each is sent once per ``repeat_after`` — across
    restarts and by one instance of several."""

    def __init__(self, ctx: AppContext, repeat_after: timedelta = timedelta(hours=24)) -> None:
        self.ctx = ctx
        self.repeat_after = repeat_after

    def to_send(self, alerts: Iterable[Alert], now: datetime) -> list[Alert]:
        """The alerts that are new or due for a reminder, claimed as sent at ``now`` (send them:
        no other instance will). ``alerts`` is every current alert: the records of alerts that
        ended are dropped, so that they are sent at once if they come back."""
        current = {_key(a): a for a in alerts}
        with self.ctx.db.session() as session:
            sent = AlertLog(session).sent()
        gone = set(sent) - set(current)
        if gone:
            with self.ctx.db.session() as session:
                AlertLog(session).forget(gone)
        candidates = sorted(
            key for key in current if (at := sent.get(key)) is None or now - at >= self.repeat_after
        )
        if not candidates:
            return []
        with self.ctx.db.session() as session:
            log = AlertLog(session)
            won = {key for key in candidates if log.claim(key, now, self.repeat_after)}
        return [alert for key, alert in current.items() if key in won]

    def mark_sent(self, alerts: Iterable[Alert], now: datetime) -> None:
        """Record ``alerts`` as sent at ``now`` (``to_send`` already did for what it returned)."""
        keys = sorted({_key(a) for a in alerts})
        if keys:
            with self.ctx.db.session() as session:
                log = AlertLog(session)
                for key in keys:
                    log.record(key, now)
