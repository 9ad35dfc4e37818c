"""After issuance: renewal with the stored CSR, key and mapping (new serial, same key, files
rewritten); renaming moves the files; deleting revokes at Pebble, refuses when the revocation
fails unless forced (and then says it was not revoked), and never revokes an expired one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import update

from certdesk.errors import ACMEError, Conflict, InvalidInput
from certdesk.services import audit, certificates, jobs
from certdesk.services.certificate_schemas import CertificateUpdate
from certdesk.services.context import AppContext
from certdesk.storage.models import ACMEAccountRow, CertificateRow
from tests.fixtures.bind import BindServer
from tests.fixtures.pebble import PebbleServer
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


def issued(ctx: AppContext, pebble: PebbleServer, bind: BindServer) -> int:
    domain = unique_domain()
    csr_id = make_csr(ctx, domain)
    auth = add_rfc2136(ctx, bind)
    job = issue(ctx, request(pebble, unique_name(), csr_id, {domain: auth}))
    assert job.state == "SUCCESS", job.error
    return int(job.result["certificate_id"])  # type: ignore[index]


def leaf_of(path: str) -> x509.Certificate:
    return x509.load_pem_x509_certificates(Path(path).read_bytes())[0]


def test_renew_reissues_with_the_stored_csr_and_key(
    ctx: AppContext, pebble: PebbleServer, bind_server: BindServer
) -> None:
    cert_id = issued(ctx, pebble, bind_server)
    before = certificates.get(ctx, cert_id)
    old_leaf = leaf_of(before.certificate_path)
    key_before = Path(before.privatekey_path).read_bytes()

    created = certificates.renew(ctx, cert_id, ACTOR)
    with pytest.raises(Conflict, match="being renewed"):
        certificates.renew(ctx, cert_id, ACTOR)
    job = jobs.run_job(ctx, created.job_id)
    assert job is not None and job.state == "SUCCESS", job and job.error

    after = certificates.get(ctx, cert_id)
    new_leaf = leaf_of(after.certificate_path)
    assert after.serial != before.serial
    assert new_leaf.serial_number != old_leaf.serial_number
    assert new_leaf.public_key() == old_leaf.public_key()
    assert Path(after.privatekey_path).read_bytes() == key_before
    assert after.last_error is None
    assert job.certificate_id == cert_id


def test_rename_and_renew_days(
    ctx: AppContext, pebble: PebbleServer, bind_server: BindServer
) -> None:
    cert_id = issued(ctx, pebble, bind_server)
    old = certificates.get(ctx, cert_id)
    new_name = unique_name("renamed")
    with pytest.raises(InvalidInput) as caught:
        certificates.update(ctx, cert_id, CertificateUpdate(name="no spaces", renew_days=0), ACTOR)
    assert {e.field for e in caught.value.errors} == {"name", "renew_days"}
    details = certificates.update(
        ctx, cert_id, CertificateUpdate(name=new_name, renew_days=30), ACTOR
    )
    assert details.name == new_name and details.renew_days == 30
    # The renewal policy plans again (its rules are tested with it).
    assert details.renew_at is not None and details.renew_at < details.not_after
    assert details.renew_reason
    assert Path(details.certificate_path).exists() and Path(details.privatekey_path).exists()
    assert not Path(old.certificate_path).exists()


def test_delete_revokes_or_refuses_unless_forced(
    ctx: AppContext, pebble: PebbleServer, bind_server: BindServer
) -> None:
    revoked_id = issued(ctx, pebble, bind_server)
    serial = leaf_of(certificates.get(ctx, revoked_id).certificate_path).serial_number
    result = certificates.delete(ctx, revoked_id, False, ACTOR)
    assert result.revoked is True
    assert pebble.is_revoked(serial)

    stuck_id = issued(ctx, pebble, bind_server)
    stuck = certificates.get(ctx, stuck_id)
    stuck_serial = leaf_of(stuck.certificate_path).serial_number
    with ctx.db.session() as session:  # the CA's HTTPS is no longer trusted: revocation fails
        session.execute(update(ACMEAccountRow).values(ca_bundle=None))
    with pytest.raises(ACMEError, match="Failed to revoke") as caught:
        certificates.delete(ctx, stuck_id, False, ACTOR)
    assert "Force" in caught.value.message
    assert certificates.get(ctx, stuck_id).name == stuck.name
    forced = certificates.delete(ctx, stuck_id, True, ACTOR)
    assert forced.revoked is False
    assert "without revoking" in forced.detail
    assert not pebble.is_revoked(stuck_serial)
    assert not Path(stuck.certificate_path).exists()
    events = audit.list_events(ctx).items
    delete_event = next(e for e in events if e.action == "certificate.delete")
    assert delete_event.detail is not None and delete_event.detail["revoked"] is False


def test_an_expired_certificate_is_deleted_without_revoking(
    ctx: AppContext, pebble: PebbleServer, bind_server: BindServer
) -> None:
    cert_id = issued(ctx, pebble, bind_server)
    serial = leaf_of(certificates.get(ctx, cert_id).certificate_path).serial_number
    with ctx.db.session() as session:
        session.execute(
            update(CertificateRow)
            .where(CertificateRow.id == cert_id)
            .values(not_after=ctx.clock.now() - timedelta(days=1))
        )
    result = certificates.delete(ctx, cert_id, False, ACTOR)
    assert result.revoked is False and "Expired" in result.detail
    assert not pebble.is_revoked(serial)
