"""``certdesk acme create``: turn a CSR into an ACME certificate, showing the job's progress.

Domains are mapped to DNS authenticators with ``--dns DOMAIN=AUTHENTICATOR`` (the authenticator
by name or id). Every input error is reported at once before any network call (exit 2); a CA or
DNS failure prints the CA's problem document whole and exits 4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from certdesk.acme import LETS_ENCRYPT_STAGING
from certdesk.cli.common import JsonFlag, open_context, print_json, read_limited, wants_json
from certdesk.cli.jobwatch import run_with_progress
from certdesk.errors import FieldError, InvalidInput, NotFound
from certdesk.services import certificates, csrs
from certdesk.services.certificate_schemas import DEFAULT_RENEW_DAYS, ACMECertificateCreate
from certdesk.services.context import AppContext, cli_actor
from certdesk.services.dns_challenges import resolve_authenticator

app = typer.Typer(help="ACME certificates from CSRs.", no_args_is_help=True)

PEM_LIMIT = 256 * 1024


def _read_text(path: Path, field: str) -> str:
    return read_limited(path, field, PEM_LIMIT).decode("utf-8", "replace")


def _mapping(ctx: AppContext, entries: list[str], errors: list[FieldError]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for entry in entries:
        domain, sep, authenticator = entry.partition("=")
        domain, authenticator = domain.strip(), authenticator.strip()
        if not sep or not domain or not authenticator:
            errors.append(
                FieldError("dns", f"{entry!r}: write DOMAIN=AUTHENTICATOR, e.g. example.com=bind")
            )
            continue
        try:
            mapping[domain] = resolve_authenticator(ctx, authenticator)
        except NotFound:
            errors.append(
                FieldError(
                    f"dns_mapping.{domain}",
                    f"No DNS authenticator named {authenticator!r}: see "
                    "`certdesk authenticator list`.",
                )
            )
    return mapping


def _csr_id(ctx: AppContext, csr: str, errors: list[FieldError]) -> int:
    try:
        return csrs.id_for_name(ctx, csr)
    except NotFound:
        if csr.isdigit():
            return int(csr)
        errors.append(FieldError("csr", f"No CSR named {csr!r}: see `certdesk csr list`."))
        return 0


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Identifier of the certificate.")],
    csr: Annotated[str, typer.Option("--csr", help="The CSR (name or id).")],
    dns: Annotated[
        list[str],
        typer.Option("--dns", help="DOMAIN=AUTHENTICATOR (name or id), once per domain."),
    ],
    directory: Annotated[
        str, typer.Option("--directory", help="ACME server directory URI.")
    ] = LETS_ENCRYPT_STAGING,
    tos: Annotated[
        bool, typer.Option("--tos", help="Agree to the ACME server's terms of service.")
    ] = False,
    ca_bundle: Annotated[
        Path | None,
        typer.Option("--ca-bundle", help="PEM file to trust for a private ACME server's HTTPS."),
    ] = None,
    renew_days: Annotated[
        int, typer.Option("--renew-days", help="Renew this many days before expiry (1-30).")
    ] = DEFAULT_RENEW_DAYS,
    contact_email: Annotated[
        str | None, typer.Option("--contact-email", help="Contact for the ACME account.")
    ] = None,
    eab_kid: Annotated[
        str | None, typer.Option("--eab-kid", help="External Account Binding key id.")
    ] = None,
    eab_hmac_key_file: Annotated[
        Path | None,
        typer.Option("--eab-hmac-key-file", help="File holding the EAB HMAC key."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Issue an ACME certificate from a CSR through DNS-01, showing progress."""
    errors: list[FieldError] = []
    bundle = _read_text(ca_bundle, "ca_bundle") if ca_bundle else None
    hmac_key = _read_text(eab_hmac_key_file, "eab_hmac_key").strip() if eab_hmac_key_file else None
    with open_context(ctx) as app_ctx:
        csr_id = _csr_id(app_ctx, csr, errors)
        mapping = _mapping(app_ctx, dns, errors)
        if errors:
            raise InvalidInput(errors)
        data = ACMECertificateCreate(
            name=name,
            csr_id=csr_id,
            tos=tos,
            renew_days=renew_days,
            acme_directory_uri=directory,
            ca_bundle=bundle,
            contact_email=contact_email,
            eab_kid=eab_kid,
            eab_hmac_key=hmac_key,
            dns_mapping=mapping,
        )
        created = certificates.create_acme(app_ctx, data, cli_actor())
        if not quiet:
            typer.echo(f"Job {created.job_id} started.", err=True)
        job = run_with_progress(app_ctx, created.job_id, quiet=quiet)
        details = certificates.get(app_ctx, int((job.result or {})["certificate_id"]))
    if wants_json(ctx, json_output):
        print_json(details)
        return
    typer.echo(
        f"Certificate {details.name} issued by {details.issuer}, valid until "
        f"{details.not_after.isoformat(timespec='seconds')}: {details.certificate_path}"
    )
