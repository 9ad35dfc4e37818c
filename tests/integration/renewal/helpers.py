"""Helpers of the renewal tests: certificate rows inserted directly, read back, and jobs."""

from __future__ import annotations

from datetime import datetime, timedelta

from certdesk.services.context import AppContext
from certdesk.storage.models import CertificateRow, JobRow
from tests.integration.renewal.conftest import NOW

DAY = timedelta(days=1)


def add(
    ctx: AppContext,
    name: str,
    *,
    expires_in: timedelta,
    lifetime: timedelta = 90 * DAY,
    renew_days: int = 10,
    renew_at: datetime | None = None,
    revoked: bool = False,
) -> int:
    with ctx.db.session() as session:
        row = CertificateRow(
            name=name,
            chain_pem="-",
            private_key_enc=ctx.box.encrypt(b"-"),
            csr_pem="-",
            acme_directory="https://acme.test/dir",
            domains_authenticators={},
            not_before=NOW + expires_in - lifetime,
            not_after=NOW + expires_in,
            serial="01",
            issuer="CN=Test",
            renew_days=renew_days,
            renew_at=renew_at,
            revoked_at=NOW if revoked else None,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(row)
        session.flush()
        return row.id


def row(ctx: AppContext, certificate_id: int) -> CertificateRow:
    with ctx.db.session() as session:
        found = session.get(CertificateRow, certificate_id)
        assert found is not None
        return found


def add_job(ctx: AppContext, certificate_id: int, state: str) -> None:
    with ctx.db.session() as session:
        session.add(
            JobRow(
                kind="acme.renew",
                state=state,
                arguments={},
                created_at=NOW,
                certificate_id=certificate_id,
            )
        )
