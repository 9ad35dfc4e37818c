"""``certdesk cert …``: list, show, download, renew and delete ACME certificates (by name or
id), set their renewal settings (``set``) and deploy targets (``deploy``). ``delete`` revokes at
the CA first unless the certificate has expired; ``--force`` deletes even when the revocation
fails, and says so."""

from __future__ import annotations

from typing import Annotated

import typer

from certdesk.cli.cert_deploy import describe_outcome, describe_targets, register
from certdesk.cli.common import (
    JsonFlag,
    OutputOption,
    deliver,
    open_context,
    print_fields,
    print_json,
    print_table,
    wants_json,
)
from certdesk.cli.jobwatch import run_with_progress
from certdesk.errors import NotFound
from certdesk.services import certificates
from certdesk.services.context import AppContext, cli_actor

app = typer.Typer(help="ACME certificates.", no_args_is_help=True)


def _id(ctx: AppContext, name: str) -> int:
    try:
        return certificates.id_for_name(ctx, name)
    except NotFound:
        if name.isdigit():
            return int(name)
        raise


@app.command("list")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="Rows per page.")] = 100,
    offset: Annotated[int, typer.Option(help="Rows to skip.")] = 0,
    json_output: JsonFlag = False,
) -> None:
    """Name, domains, issuer and expiry with days left."""
    with open_context(ctx) as app_ctx:
        page = certificates.list_certificates(app_ctx, limit, offset)
    if wants_json(ctx, json_output):
        print_json(page)
        return
    print_table(
        ("Name", "Domains", "Issuer", "Expires", "Days left"),
        [
            (
                c.name,
                ", ".join(c.domains),
                c.issuer,
                c.not_after.date().isoformat(),
                c.days_left,
            )
            for c in page.items
        ],
    )


@app.command("show")
def show(ctx: typer.Context, name: str, json_output: JsonFlag = False) -> None:
    """One certificate's details."""
    with open_context(ctx) as app_ctx:
        details = certificates.get(app_ctx, _id(app_ctx, name))
    if wants_json(ctx, json_output):
        print_json(details)
        return
    print_fields(
        [
            ("Name", details.name),
            ("Domains", details.domains),
            ("Issuer", details.issuer),
            ("Serial", details.serial),
            ("Valid from", details.not_before.isoformat(timespec="seconds")),
            ("Valid until", details.not_after.isoformat(timespec="seconds")),
            ("Days left", details.days_left),
            ("Renew days", details.renew_days),
            (
                "Renew at",
                details.renew_at.isoformat(timespec="seconds") if details.renew_at else None,
            ),
            ("Renew reason", details.renew_reason),
            ("Last error", details.last_error),
            ("Failed renewals", details.failure_count),
            ("New key on renewal", "yes" if details.new_key_on_renewal else "no"),
            ("Deploy targets", describe_targets(details.deploy)),
            ("Last deploy", describe_outcome(details.last_deploy)),
            ("ACME directory", details.acme_directory),
            ("DNS mapping", [f"{d}: {a}" for d, a in details.dns_mapping.items()]),
            ("Certificate file", details.certificate_path),
            ("Key file", details.privatekey_path),
            ("Revoked", details.revoked_at.isoformat() if details.revoked_at else None),
        ]
    )


@app.command("download")
def download(
    ctx: typer.Context,
    name: str,
    key: Annotated[
        bool, typer.Option("--key", help="The private key instead of the chain (audited).")
    ] = False,
    output: OutputOption = None,
) -> None:
    """Print or save the full chain PEM, or with --key the private key."""
    with open_context(ctx) as app_ctx:
        cert_id = _id(app_ctx, name)
        file = (
            certificates.private_key_file(app_ctx, cert_id, cli_actor())
            if key
            else certificates.certificate_file(app_ctx, cert_id)
        )
    deliver(file, output, secret=key)


@app.command("renew")
def renew(
    ctx: typer.Context,
    name: str,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Renew now, with the stored CSR, key and domain mapping."""
    with open_context(ctx) as app_ctx:
        created = certificates.renew(app_ctx, _id(app_ctx, name), cli_actor())
        run_with_progress(app_ctx, created.job_id, quiet=quiet)
        details = certificates.get(app_ctx, _id(app_ctx, name))
    typer.echo(
        f"Certificate {details.name} renewed, valid until "
        f"{details.not_after.isoformat(timespec='seconds')}."
    )


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str,
    force: Annotated[
        bool, typer.Option("--force", help="Delete even when the revocation at the CA fails.")
    ] = False,
) -> None:
    """Revoke at the CA (unless expired), then delete the certificate and its files."""
    with open_context(ctx) as app_ctx:
        result = certificates.delete(app_ctx, _id(app_ctx, name), force, cli_actor())
    typer.echo(f"Deleted certificate {result.name}. {result.detail}")


register(app, _id)
