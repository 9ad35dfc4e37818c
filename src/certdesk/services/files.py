"""Keeping ``<data dir>/certificates/`` in step with the database: on start (after a crash between
a row change and a file change) every expected file is rewritten if missing or different, and
every stale one is removed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from certdesk.storage.files import FileSet, ReconcileReport
from certdesk.storage.models import CertificateRow, CSRRow

if TYPE_CHECKING:
    from certdesk.services.context import AppContext


def expected_files(ctx: AppContext) -> dict[str, FileSet]:
    """What the certificates directory should hold, from the database."""
    expected: dict[str, FileSet] = {}
    with ctx.db.session() as session:
        for name, csr_pem, key_enc in session.execute(
            select(CSRRow.name, CSRRow.csr_pem, CSRRow.private_key_enc)
        ):
            expected[name] = FileSet(csr=csr_pem.encode("ascii"), key=ctx.box.decrypt(key_enc))
        for name, chain_pem, key_enc in session.execute(
            select(CertificateRow.name, CertificateRow.chain_pem, CertificateRow.private_key_enc)
        ):
            expected[name] = FileSet(crt=chain_pem.encode("ascii"), key=ctx.box.decrypt(key_enc))
    return expected


def reconcile_files(ctx: AppContext) -> ReconcileReport:
    return ctx.files.reconcile(expected_files(ctx))
