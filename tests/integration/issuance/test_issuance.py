"""Issuing ACME certificates end to end through the services: a real Pebble validating DNS-01
against a real BIND9, TXT records written by the rfc2136 authenticator, the job persisted with its
progress, the certificate stored with its files, and the chain verified by openssl."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509

from certdesk.services import certificates, jobs
from certdesk.services.context import AppContext
from tests.fixtures.bind import BindServer
from tests.fixtures.pebble import PebbleServer
from tests.integration.acme.helpers import openssl_verify, san_names
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


def test_a_certificate_for_two_names(
    ctx: AppContext, pebble: PebbleServer, bind_server: BindServer, tmp_path: Path
) -> None:
    a, b = unique_domain(), unique_domain("other.test")
    csr_id = make_csr(ctx, a, b)
    auth = add_rfc2136(ctx, bind_server)
    name = unique_name()
    job = issue(ctx, request(pebble, name, csr_id, {a: auth, f"DNS:{b}": auth}))

    assert job.state == "SUCCESS", job.error
    assert job.progress.percent == 100
    assert job.result is not None
    cert_id = job.result["certificate_id"]
    assert job.certificate_id == cert_id
    details = certificates.get(ctx, cert_id)
    assert details.name == name
    assert set(details.domains) == {a, b}
    assert details.renew_days == 10
    assert details.renew_at is not None and details.renew_at < details.not_after

    chain = Path(details.certificate_path).read_bytes()
    assert san_names(chain) == {a, b}
    openssl_verify(pebble.root_pem(), chain, tmp_path)
    key_path = Path(details.privatekey_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o400
    leaf = x509.load_pem_x509_certificate(chain)
    assert format(leaf.serial_number, "x") == details.serial
    for domain in (a, b):
        assert bind_server.query_txt(f"_acme-challenge.{domain}.") == []


def test_a_wildcard_with_its_base_name(
    ctx: AppContext, pebble: PebbleServer, bind_server: BindServer
) -> None:
    base = unique_domain()
    csr_id = make_csr(ctx, base, f"*.{base}")
    auth = add_rfc2136(ctx, bind_server)
    job = issue(ctx, request(pebble, unique_name(), csr_id, {base: auth, f"*.{base}": auth}))
    assert job.state == "SUCCESS", job.error
    details = certificates.get(ctx, job.result["certificate_id"])  # type: ignore[index]
    assert san_names(Path(details.certificate_path).read_bytes()) == {base, f"*.{base}"}
    assert bind_server.query_txt(f"_acme-challenge.{base}.") == []


def test_progress_and_jobs_are_listed(
    ctx: AppContext, pebble: PebbleServer, bind_server: BindServer
) -> None:
    domain = unique_domain()
    csr_id = make_csr(ctx, domain)
    auth = add_rfc2136(ctx, bind_server)
    seen: list[tuple[int, str]] = []
    created = certificates.create_acme(
        ctx,
        request(pebble, unique_name(), csr_id, {domain: auth}, eab_kid=None),
        ACTOR,
    )
    waiting = jobs.get(ctx, created.job_id)
    assert waiting.state == "WAITING"
    done = jobs.run_job(ctx, created.job_id, listener=lambda p, d: seen.append((p, d)))
    assert done is not None and done.state == "SUCCESS"
    percents = [p for p, _ in seen]
    assert percents == sorted(percents) and percents[-1] == 100
    text = "\n".join(d for _, d in seen)
    assert "New order for certificate issuance placed" in text
    assert f"TXT record written for {domain}" in text
    assert "visible" in text
    assert done.started_at is not None and done.finished_at is not None
    listed = jobs.list_jobs(ctx)
    assert listed.items[0].id == created.job_id
    assert listed.items[0].arguments["dns_mapping"] == {domain: auth}
