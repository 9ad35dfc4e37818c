"""Create ACME Certificate input checks (truenas-spec §7.1, §7.4 and the public-CA lint), all
reported at once before any network call: the directory named here is a closed port, so any
attempt to reach it would fail with an ACME error instead."""

from __future__ import annotations

import pytest

from certdesk.errors import InvalidInput
from certdesk.services import authenticators, certificates, csrs, jobs
from certdesk.services.authenticator_schemas import AuthenticatorCreate
from certdesk.services.certificate_schemas import ACMECertificateCreate
from certdesk.services.context import AppContext
from certdesk.services.schemas import CSRCreate
from tests.integration.issuance.helpers import ACTOR, make_csr, unique_name

CLOSED = "https://127.0.0.1:9/directory"


def body(csr_id: int, mapping: dict[str, int], **extra: object) -> ACMECertificateCreate:
    data: dict[str, object] = {
        "name": unique_name(),
        "csr_id": csr_id,
        "tos": True,
        "acme_directory_uri": CLOSED,
        "dns_mapping": mapping,
    }
    data.update(extra)
    return ACMECertificateCreate.model_validate(data)


def errors_of(ctx: AppContext, data: ACMECertificateCreate) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        certificates.create_acme(ctx, data, ACTOR)
    assert jobs.list_jobs(ctx).total == 0
    return {e.field: e.message for e in caught.value.errors}


def authenticator(ctx: AppContext) -> int:
    return authenticators.create(
        ctx,
        AuthenticatorCreate(
            name=unique_name("auth"),
            type="rfc2136",
            attributes={
                "server": "127.0.0.1",
                "port": 9,
                "key_name": "k.",
                "key_secret": "c2VjcmV0",
            },
        ),
        ACTOR,
    ).id


def test_mapping_rules_of_truenas(ctx: AppContext) -> None:
    auth = authenticator(ctx)
    csr_id = make_csr(ctx, "example.org", "*.example.org", "www.example.org")
    found = errors_of(
        ctx,
        body(
            csr_id,
            {
                "DNS:example.org": auth,
                "www.example.org.": auth,
                "a.*.example.org": auth,
                "other.example.org": auth,
            },
        ),
    )
    assert "cannot end with a period" in found["dns_mapping.www.example.org."]
    assert "Wildcards must be at the start" in found["dns_mapping.a.*.example.org"]
    assert "not specified in the CSR" in found["dns_mapping.other.example.org"]
    assert (
        "Please provide a DNS authenticator id for *.example.org"
        in found["dns_mapping.*.example.org"]
    )
    assert "dns_mapping.www.example.org" in found
    assert "dns_mapping.example.org" not in found  # DNS: prefix accepted


def test_the_wildcard_and_case_normalise(ctx: AppContext) -> None:
    auth = authenticator(ctx)
    csr_id = make_csr(ctx, "example.org", "*.example.org")
    created = certificates.create_acme(
        ctx, body(csr_id, {"Example.ORG": auth, "DNS:*.example.org": auth}), ACTOR
    )
    job = jobs.get(ctx, created.job_id)
    assert job.arguments["dns_mapping"] == {"example.org": auth, "*.example.org": auth}


def test_every_field_at_once(ctx: AppContext) -> None:
    found = errors_of(
        ctx,
        body(
            424242,
            {},
            name="bad name!",
            tos=False,
            renew_days=0,
            acme_directory_uri="ftp://me:pw@example.org/dir",
            ca_bundle="not a PEM",
            contact_email="not-an-address",
            eab_kid="kid-only",
        ),
    )
    assert {
        "name",
        "csr_id",
        "tos",
        "renew_days",
        "acme_directory_uri",
        "ca_bundle",
        "contact_email",
        "eab_hmac_key",
    } <= set(found)
    assert "pw" not in " ".join(found.values())


def test_the_public_ca_lint_names_what_to_change(ctx: AppContext) -> None:
    auth = authenticator(ctx)
    details = csrs.create(
        ctx,
        CSRCreate(
            name=unique_name("ed"),
            key_type="EC",
            ec_curve="ED25519",
            common="ed.example.org",
            san=["DNS:ed.example.org"],
        ),
        ACTOR,
    )
    found = errors_of(ctx, body(details.id, {"ed.example.org": auth}))
    assert "Ed25519" in found["csr_id"] and "SECP256R1" in found["csr_id"]


def test_names_are_shared_with_csrs_and_running_jobs(ctx: AppContext) -> None:
    auth = authenticator(ctx)
    csr_name = unique_name("csr")
    csr_id = make_csr(ctx, "shared.example.org", name=csr_name)
    found = errors_of(ctx, body(csr_id, {"shared.example.org": auth}, name=csr_name))
    assert "CSR named" in found["name"]
    data = body(csr_id, {"shared.example.org": auth})
    certificates.create_acme(ctx, data, ACTOR)
    with pytest.raises(InvalidInput, match="being issued right now"):
        certificates.create_acme(ctx, data, ACTOR)
