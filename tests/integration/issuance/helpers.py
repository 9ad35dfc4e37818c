"""Helpers for the issuance tests: CSRs and rfc2136 authenticators made through the services,
Create ACME Certificate requests against the test Pebble, and running a job to its end."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from certdesk.services import authenticators, certificates, csrs, jobs
from certdesk.services.authenticator_schemas import AuthenticatorCreate
from certdesk.services.certificate_schemas import ACMECertificateCreate, JobOut
from certdesk.services.context import Actor, AppContext
from certdesk.services.schemas import CSRCreate
from tests.fixtures.bind import BindServer
from tests.fixtures.pebble import PebbleServer

ACTOR = Actor(username="tester", client="pytest")


def unique_domain(zone: str = "certdesk.test") -> str:
    """A fresh name under ``zone``: tests never share records or authorizations."""
    return f"t{secrets.token_hex(5)}.{zone}"


def unique_name(prefix: str = "cert") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def make_csr(ctx: AppContext, *domains: str, name: str | None = None) -> int:
    """A P-256 CSR with CN = the first domain and every domain as a DNS SAN."""
    details = csrs.create(
        ctx,
        CSRCreate(
            name=name or unique_name("csr"),
            key_type="EC",
            ec_curve="SECP256R1",
            digest_algorithm="SHA256",
            common=domains[0],
            san=[f"DNS:{d}" for d in domains],
        ),
        ACTOR,
    )
    return details.id


def add_rfc2136(
    ctx: AppContext, bind: BindServer, *, secret: str | None = None, name: str | None = None
) -> int:
    """An rfc2136 authenticator for the test BIND (``secret`` overrides the TSIG secret)."""
    out = authenticators.create(
        ctx,
        AuthenticatorCreate(
            name=name or unique_name("bind"),
            type="rfc2136",
            attributes={
                "server": bind.host,
                "port": bind.port,
                "key_name": bind.tsig_name,
                "key_secret": secret or bind.tsig_secret,
                "key_algorithm": bind.tsig_algorithm,
            },
        ),
        ACTOR,
    )
    return out.id


def ca_bundle_text(pebble: PebbleServer) -> str:
    text = str(pebble.ca_bundle)
    return text if text.lstrip().startswith("-----BEGIN") else Path(text).read_text()


def request(
    pebble: PebbleServer, name: str, csr_id: int, mapping: dict[str, int], **extra: Any
) -> ACMECertificateCreate:
    body: dict[str, Any] = {
        "name": name,
        "csr_id": csr_id,
        "tos": True,
        "acme_directory_uri": pebble.directory_url,
        "ca_bundle": ca_bundle_text(pebble),
        "dns_mapping": mapping,
    }
    body.update(extra)
    return ACMECertificateCreate.model_validate(body)


def issue(ctx: AppContext, data: ACMECertificateCreate) -> JobOut:
    """Create the certificate and run its job in this thread to the end."""
    created = certificates.create_acme(ctx, data, ACTOR)
    done = jobs.run_job(ctx, created.job_id)
    assert done is not None
    return done
