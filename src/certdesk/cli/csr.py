"""``certdesk csr …``: create, import, list, show, rename, download and delete CSRs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from certdesk.cli.common import (
    JsonFlag,
    OutputOption,
    deliver,
    open_context,
    print_details,
    print_fields,
    print_json,
    print_table,
    read_limited,
    validated,
    validation_errors,
    wants_json,
)
from certdesk.errors import InvalidInput
from certdesk.services import csrs
from certdesk.services.context import cli_actor
from certdesk.services.schemas import CertExtensionsIn, CSRCreate, CSRDetails, CSRRename

app = typer.Typer(help="Certificate Signing Requests.", no_args_is_help=True)

#: The largest CSR, key or extensions file read.
FILE_LIMIT = 1 << 20
#: The largest passphrase file read.
PASSPHRASE_LIMIT = 4096


def _show(details: CSRDetails) -> None:
    print_fields(
        [
            ("Name", details.name),
            ("Type", details.create_type),
            ("Common", details.common),
            ("SAN", details.san),
            ("Distinguished Name", details.DN),
            ("Country", details.country),
            ("State", details.state),
            ("City", details.city),
            ("Organization", details.organization),
            ("Organizational Unit", details.organizational_unit),
            ("Email", details.email),
            ("Key Type", details.key_type),
            ("Key Length", details.key_length),
            ("EC Curve", details.ec_curve),
            ("Digest Algorithm", details.digest_algorithm),
            ("Extensions", [f"{k}: {v}" for k, v in details.extensions.items()]),
            ("Path", details.root_path),
            ("CSR file", details.csr_path),
            ("Key file", details.privatekey_path),
            ("SHA-256 fingerprint", details.fingerprint_sha256),
            ("Created", details.created_at.isoformat(timespec="seconds")),
        ]
    )
    for warning in details.warnings:
        typer.echo(f"warning: {warning}", err=True)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Identifier of the CSR.")],
    profile: Annotated[
        str | None,
        typer.Option(help='"HTTPS RSA Certificate" or "HTTPS ECC Certificate".'),
    ] = None,
    key_type: Annotated[str | None, typer.Option("--key-type", help="RSA or EC.")] = None,
    key_length: Annotated[
        int | None, typer.Option("--key-length", help="RSA key length in bits.")
    ] = None,
    ec_curve: Annotated[str | None, typer.Option("--ec-curve", help="EC curve.")] = None,
    digest: Annotated[
        str | None, typer.Option("--digest", help="SHA224, SHA256, SHA384 or SHA512.")
    ] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2 code.")] = None,
    state: Annotated[str | None, typer.Option()] = None,
    city: Annotated[str | None, typer.Option(help="Locality.")] = None,
    organization: Annotated[str | None, typer.Option()] = None,
    organizational_unit: Annotated[str | None, typer.Option("--organizational-unit")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    common: Annotated[str | None, typer.Option(help="Common Name.")] = None,
    san: Annotated[
        list[str] | None,
        typer.Option("--san", help="Subject Alternate Name (DNS:, IP:, email:, URI: or bare)."),
    ] = None,
    extensions_json: Annotated[
        Path | None,
        typer.Option("--extensions-json", help="JSON file with cert_extensions."),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Create a private key and a Certificate Signing Request."""
    extensions = None
    if extensions_json is not None:
        raw = read_limited(extensions_json, "extensions_json", FILE_LIMIT)
        try:
            extensions = CertExtensionsIn.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidInput(
                e.prefixed("cert_extensions") for e in validation_errors(exc).errors
            ) from None
    data = validated(
        CSRCreate,
        name=name,
        profile=profile,
        key_type=key_type,
        key_length=key_length,
        ec_curve=ec_curve,
        digest_algorithm=digest,
        country=country,
        state=state,
        city=city,
        organization=organization,
        organizational_unit=organizational_unit,
        email=email,
        common=common,
        san=san or [],
        cert_extensions=extensions,
    )
    with open_context(ctx) as app_ctx:
        details = csrs.create(app_ctx, data, cli_actor())
    sentence = f"Created CSR '{details.name}' (id {details.id})."
    print_details(ctx, json_output, details, _show, sentence)


@app.command("import")
def import_(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Identifier of the CSR.")],
    csr_file: Annotated[Path, typer.Option("--csr-file", help="CSR, PEM or DER.")],
    key_file: Annotated[Path, typer.Option("--key-file", help="Private key, PEM or DER.")],
    passphrase_file: Annotated[
        Path | None,
        typer.Option("--passphrase-file", help="File holding the key's passphrase ('-': stdin)."),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Import a CSR and its private key (plain or encrypted)."""
    passphrase = None
    if passphrase_file is not None:
        raw = (
            sys.stdin.buffer.read(PASSPHRASE_LIMIT)
            if str(passphrase_file) == "-"
            else read_limited(passphrase_file, "passphrase", PASSPHRASE_LIMIT)
        )
        passphrase = raw.rstrip(b"\r\n") or None
    csr_data = read_limited(csr_file, "CSR", FILE_LIMIT)
    key_data = read_limited(key_file, "privatekey", FILE_LIMIT)
    with open_context(ctx) as app_ctx:
        details = csrs.import_bytes(
            app_ctx,
            name=name,
            csr_data=csr_data,
            key_data=key_data,
            passphrase=passphrase,
            actor=cli_actor(),
        )
    sentence = f"Imported CSR '{details.name}' (id {details.id})."
    print_details(ctx, json_output, details, _show, sentence)


@app.command("list")
def list_(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Option(help="Filter by name, CN or SAN.")] = None,
    limit: Annotated[int, typer.Option(help="Rows per page.")] = 100,
    offset: Annotated[int, typer.Option(help="Rows to skip.")] = 0,
    json_output: JsonFlag = False,
) -> None:
    """List CSRs."""
    with open_context(ctx) as app_ctx:
        page = csrs.list_csrs(app_ctx, limit=limit, offset=offset, search=search)
    if wants_json(ctx, json_output):
        print_json(page)
        return
    if not page.items:
        typer.echo("No CSRs yet. Create one with: certdesk csr create --name NAME --common HOST")
        return
    print_table(
        ["ID", "NAME", "COMMON NAME", "SANS", "KEY"],
        [
            (
                r.id,
                r.name,
                r.common or "--",
                ", ".join(r.san),
                f"{r.key_type} {r.ec_curve or r.key_length}",
            )
            for r in page.items
        ],
    )
    if page.total > len(page.items) + offset:
        typer.echo(f"({page.total} in all; use --offset to see more)")


@app.command("show")
def show(ctx: typer.Context, name: str, json_output: JsonFlag = False) -> None:
    """Show a CSR's details."""
    with open_context(ctx) as app_ctx:
        details = csrs.get_by_name(app_ctx, name)
    print_details(ctx, json_output, details, _show)


@app.command("rename")
def rename(ctx: typer.Context, name: str, new_name: str) -> None:
    """Rename a CSR (and its files)."""
    with open_context(ctx) as app_ctx:
        details = csrs.rename(
            app_ctx, csrs.id_for_name(app_ctx, name), CSRRename(name=new_name), cli_actor()
        )
    typer.echo(f"Renamed CSR '{name}' to '{details.name}'.")


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str,
    force: Annotated[
        bool,
        typer.Option(help="Delete even if certificates were issued from this CSR."),
    ] = False,
) -> None:
    """Delete a CSR, its private key and its files."""
    with open_context(ctx) as app_ctx:
        csrs.delete(app_ctx, csrs.id_for_name(app_ctx, name), force, cli_actor())
    typer.echo(f"Deleted CSR '{name}'.")


@app.command("download")
def download(
    ctx: typer.Context,
    name: str,
    key: Annotated[
        bool, typer.Option("--key", help="The private key instead of the CSR (audited).")
    ] = False,
    output: OutputOption = None,
) -> None:
    """Print or save the CSR PEM, or with --key the private key (PKCS#8 PEM)."""
    with open_context(ctx) as app_ctx:
        csr_id = csrs.id_for_name(app_ctx, name)
        file = (
            csrs.private_key_file(app_ctx, csr_id, cli_actor())
            if key
            else csrs.csr_file(app_ctx, csr_id)
        )
    deliver(file, output, secret=key)
