"""``certdesk authenticator …``: add, list, show, test, update and delete DNS authenticators, and
list the types with their attributes. Attributes are given as ``--attr key=value``; a secret can
come from a file with ``--attr-file key=FILE`` (``-`` reads stdin) so that it stays out of the
shell history. Secrets are never printed: ``show`` lists which are set."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from certdesk.cli.common import (
    JsonFlag,
    open_context,
    print_details,
    print_fields,
    print_json,
    print_table,
    validated,
    wants_json,
)
from certdesk.errors import DNSError, FieldError, InvalidInput
from certdesk.services import authenticators
from certdesk.services.authenticator_schemas import (
    AuthenticatorCreate,
    AuthenticatorOut,
    AuthenticatorTestIn,
    AuthenticatorUpdate,
)
from certdesk.services.context import cli_actor

app = typer.Typer(help="DNS authenticators for ACME DNS-01 challenges.", no_args_is_help=True)

AttrOption = Annotated[
    list[str] | None,
    typer.Option("--attr", help="An attribute as key=value (repeat for more).", metavar="K=V"),
]
AttrFileOption = Annotated[
    list[str] | None,
    typer.Option(
        "--attr-file",
        help="An attribute read from a file as key=FILE ('-': stdin), for secrets.",
        metavar="K=FILE",
    ),
]
MAX_ATTR_FILE = 64 * 1024


def parse_attributes(pairs: list[str] | None, files: list[str] | None) -> dict[str, str]:
    """``key=value`` pairs and ``key=FILE`` files as one mapping; every bad one reported."""
    values: dict[str, str] = {}
    errors: list[FieldError] = []
    for option, items in (("--attr", pairs or []), ("--attr-file", files or [])):
        for item in items:
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or not key:
                errors.append(FieldError(option, f"{item!r} is not key=value: write it as k=v"))
                continue
            if key in values:
                errors.append(FieldError(f"attributes.{key}", "is given twice: give it once"))
                continue
            if option == "--attr-file":
                try:
                    value = _read_secret_file(value)
                except OSError as exc:
                    errors.append(
                        FieldError(f"attributes.{key}", f"cannot read {value}: {exc.strerror}")
                    )
                    continue
                except ValueError as exc:
                    errors.append(FieldError(f"attributes.{key}", str(exc)))
                    continue
            values[key] = value
    if errors:
        raise InvalidInput(errors)
    return values


def _read_secret_file(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read(MAX_ATTR_FILE + 1)
    else:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_ATTR_FILE + 1)
    if len(data) > MAX_ATTR_FILE:
        raise ValueError(f"{path} is larger than {MAX_ATTR_FILE} bytes")
    try:
        return data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text") from None


def _show(auth: AuthenticatorOut) -> None:
    print_fields(
        [
            ("Name", auth.name),
            ("Type", f"{auth.type} ({auth.type_title})"),
            *((key, value) for key, value in auth.attributes.items()),
            ("Secrets set", auth.secrets_set),
            ("Created", auth.created_at.isoformat(timespec="seconds")),
            ("Updated", auth.updated_at.isoformat(timespec="seconds")),
        ]
    )


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="A unique name for the authenticator.")],
    type_: Annotated[
        str, typer.Option("--type", help="The type (see `certdesk authenticator types`).")
    ],
    attr: AttrOption = None,
    attr_file: AttrFileOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Add a DNS authenticator."""
    attributes = parse_attributes(attr, attr_file)
    data = validated(AuthenticatorCreate, name=name, type=type_, attributes=attributes)
    with open_context(ctx) as app_ctx:
        created = authenticators.create(app_ctx, data, cli_actor())
    sentence = f"Added DNS authenticator '{created.name}' (id {created.id})."
    print_details(ctx, json_output, created, _show, sentence)


@app.command("list")
def list_(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List DNS authenticators."""
    with open_context(ctx) as app_ctx:
        items = authenticators.list_authenticators(app_ctx)
    if wants_json(ctx, json_output):
        print_json([item.model_dump(mode="json") for item in items])
        return
    if not items:
        typer.echo(
            "No DNS authenticators yet. Add one with: certdesk authenticator add --name NAME "
            "--type TYPE --attr key=value ..."
        )
        return
    print_table(
        ["ID", "NAME", "TYPE", "SECRETS SET"],
        [(a.id, a.name, a.type, ", ".join(a.secrets_set) or "--") for a in items],
    )


@app.command("show")
def show(ctx: typer.Context, name: str, json_output: JsonFlag = False) -> None:
    """Show a DNS authenticator (secrets are never shown)."""
    with open_context(ctx) as app_ctx:
        auth = authenticators.get(app_ctx, authenticators.id_for_name(app_ctx, name))
    print_details(ctx, json_output, auth, _show)


@app.command("update")
def update(
    ctx: typer.Context,
    name: str,
    rename: Annotated[str | None, typer.Option("--rename", help="A new name.")] = None,
    attr: AttrOption = None,
    attr_file: AttrFileOption = None,
    unset: Annotated[
        list[str] | None,
        typer.Option("--unset", help="Clear an attribute (repeat for more).", metavar="KEY"),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Change attributes (the others, secrets included, keep their values) or the name."""
    given: dict[str, str | None] = dict(parse_attributes(attr, attr_file))
    for key in unset or []:
        if key in given:
            raise InvalidInput.single(f"attributes.{key}", "is both set and unset: choose one")
        given[key] = None
    data = validated(AuthenticatorUpdate, name=rename, attributes=given or None)
    with open_context(ctx) as app_ctx:
        auth_id = authenticators.id_for_name(app_ctx, name)
        updated = authenticators.update(app_ctx, auth_id, data, cli_actor())
    print_details(ctx, json_output, updated, _show, f"Updated DNS authenticator '{updated.name}'.")


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str,
    force: Annotated[
        bool, typer.Option(help="Delete even if certificates use this authenticator.")
    ] = False,
) -> None:
    """Delete a DNS authenticator."""
    with open_context(ctx) as app_ctx:
        auth_id = authenticators.id_for_name(app_ctx, name)
        authenticators.delete(app_ctx, auth_id, force, cli_actor())
    typer.echo(f"Deleted DNS authenticator '{name}'.")


@app.command("test")
def test(
    ctx: typer.Context,
    name: str,
    domain: Annotated[
        str, typer.Option("--domain", help="Write the test record at _acme-challenge.DOMAIN.")
    ],
    json_output: JsonFlag = False,
) -> None:
    """Write a random TXT record, wait until every nameserver shows it, remove it (exit 4 when
    that fails)."""
    with open_context(ctx) as app_ctx:
        auth_id = authenticators.id_for_name(app_ctx, name)
        data = validated(AuthenticatorTestIn, domain=domain)
        result = authenticators.test(app_ctx, auth_id, data, cli_actor())
    if wants_json(ctx, json_output):
        print_json(result)
    else:
        if result.nameservers:
            print_table(
                ["NAMESERVER", "SEEN"],
                [(n.address, "yes" if n.seen else "no") for n in result.nameservers],
            )
        if result.ok:
            typer.echo(f"OK: the record was visible everywhere and removed in {result.seconds} s.")
    if not result.ok:
        raise DNSError(f"Test of '{name}' failed after {result.seconds} s: {result.error}")


test.__test__ = False  # type: ignore[attr-defined]


@app.command("types")
def types(
    ctx: typer.Context,
    type_: Annotated[str | None, typer.Argument(help="Show this type's attributes.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """List the authenticator types, or one type's attributes."""
    schemas = authenticators.schemas()
    if type_ is not None:
        wanted = type_.strip().lower()
        found = [s for s in schemas if s.type == wanted]
        if not found:
            raise InvalidInput.single("type", f"Unknown authenticator type {type_!r}.")
        schema = found[0]
        if wants_json(ctx, json_output):
            print_json(schema)
            return
        required = set(schema.schema_.get("required", []))
        rows = []
        for key, prop in schema.schema_.get("properties", {}).items():
            kind = "secret" if prop.get("writeOnly") else str(prop.get("type", ""))
            rows.append((key, kind, "yes" if key in required else "", prop.get("description", "")))
        typer.echo(f"{schema.type}: {schema.title}")
        print_table(["ATTRIBUTE", "KIND", "REQUIRED", "DESCRIPTION"], rows)
        return
    if wants_json(ctx, json_output):
        print_json([{"type": s.type, "title": s.title} for s in schemas])
        return
    print_table(["TYPE", "TITLE"], [(s.type, s.title) for s in schemas])
