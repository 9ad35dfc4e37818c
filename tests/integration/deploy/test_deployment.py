"""Deploy targets stored with a certificate row (SQLite and PostgreSQL): validated on the way in
with every field path, kept as JSON, and used to deploy the stored chain and key."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from certdesk.clock import FrozenClock
from certdesk.errors import InvalidInput, NotFound, StorageError
from certdesk.services import deployment
from certdesk.services.context import AppContext
from certdesk.settings import Settings
from certdesk.storage.models import CertificateRow

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CHAIN = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[AppContext]:
    opened = AppContext.open(
        Settings(data_dir=tmp_path / "data", database_url=db_url), clock=FrozenClock(NOW)
    )
    try:
        yield opened
    finally:
        opened.close()


def add_certificate(ctx: AppContext) -> int:
    with ctx.db.session() as session:
        row = CertificateRow(
            name="web",
            chain_pem=CHAIN,
            private_key_enc=ctx.box.encrypt(KEY),
            csr_pem="-",
            acme_directory="https://acme.test/dir",
            domains_authenticators={},
            not_before=NOW,
            not_after=NOW + timedelta(days=90),
            serial="01",
            issuer="CN=Test",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(row)
        session.flush()
        return row.id


def test_targets_are_stored_and_used(ctx: AppContext, tmp_path: Path) -> None:
    cert_id = add_certificate(ctx)
    assert deployment.get_targets(ctx, cert_id) is None
    assert deployment.deploy_certificate(ctx, cert_id).steps == ()
    out = tmp_path / "svc"
    stored = deployment.set_targets(
        ctx, cert_id, {"directory": {"path": str(out), "key_mode": "0640", "cert_name": "c.pem"}}
    )
    assert stored is not None
    with ctx.db.session() as session:
        raw = session.get(CertificateRow, cert_id).deploy  # type: ignore[union-attr]
    assert raw == {
        "directory": {
            "path": str(out),
            "cert_name": "c.pem",
            "key_name": "privkey.pem",
            "chain_name": None,
            "owner": None,
            "group": None,
            "cert_mode": "0644",
            "key_mode": "0640",
        },
        "command": None,
    }
    assert deployment.get_targets(ctx, cert_id) == stored
    result = deployment.deploy_certificate(ctx, cert_id)
    assert result.ok
    assert (out / "c.pem").read_text() == CHAIN
    assert (out / "privkey.pem").read_bytes() == KEY
    assert stat.S_IMODE((out / "privkey.pem").stat().st_mode) == 0o640

    assert deployment.set_targets(ctx, cert_id, {}) is None
    assert deployment.get_targets(ctx, cert_id) is None


def test_bad_targets_are_refused_and_nothing_is_stored(ctx: AppContext) -> None:
    cert_id = add_certificate(ctx)
    with pytest.raises(InvalidInput) as caught:
        deployment.set_targets(
            ctx, cert_id, {"directory": {"path": "tls"}, "command": {"argv": ["reload"]}}
        )
    assert {e.field for e in caught.value.errors} == {
        "deploy.directory.path",
        "deploy.command.argv",
    }
    assert deployment.get_targets(ctx, cert_id) is None


def test_unknown_certificate_and_corrupt_targets(ctx: AppContext) -> None:
    with pytest.raises(NotFound):
        deployment.deploy_certificate(ctx, 999)
    cert_id = add_certificate(ctx)
    with ctx.db.session() as session:
        session.get(CertificateRow, cert_id).deploy = {"ftp": {}}  # type: ignore[union-attr]
    with pytest.raises(StorageError, match="set them again"):
        deployment.deploy_certificate(ctx, cert_id)
