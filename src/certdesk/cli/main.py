"""The ``certdesk`` root command: global options, sub-commands, and the one place where the error
tree becomes a message on stderr and an exit code (0 ok, 2 bad input, 3 not found, 4 ACME or DNS
failure, 1 anything else). No traceback ever reaches the user (set CERTDESK_DEBUG=1 to see one)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from certdesk.cli import acme as acme_cli
from certdesk.cli import authenticators as authenticators_cli
from certdesk.cli import certs as certs_cli
from certdesk.cli import csr as csr_cli
from certdesk.cli import secrets as secrets_cli
from certdesk.cli import serve as serve_cli
from certdesk.cli import users as users_cli
from certdesk.cli.common import State
from certdesk.errors import (
    ACMEError,
    AuthError,
    CertdeskError,
    Conflict,
    DNSError,
    InvalidInput,
    NotFound,
)

app = typer.Typer(
    name="certdesk",
    help="Self-hosted certificate manager: CSRs, ACME DNS-01 certificates, renewal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(csr_cli.app, name="csr")
app.add_typer(authenticators_cli.app, name="authenticator")
app.add_typer(acme_cli.app, name="acme")
app.add_typer(certs_cli.app, name="cert")
app.add_typer(secrets_cli.app, name="secrets")
app.add_typer(serve_cli.app, name="serve")
app.add_typer(users_cli.user_app, name="user")
app.add_typer(users_cli.token_app, name="token")


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="CERTDESK_DATA_DIR",
            help="Data directory (database, keys, certificate files).",
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON on read commands.")
    ] = False,
) -> None:
    ctx.obj = State(data_dir=data_dir, json_output=json_output)


EXIT_BAD_INPUT = 2
EXIT_NOT_FOUND = 3
EXIT_REMOTE = 4


def exit_code_for(error: CertdeskError) -> int:
    if isinstance(error, InvalidInput | Conflict):
        return EXIT_BAD_INPUT
    if isinstance(error, NotFound):
        return EXIT_NOT_FOUND
    if isinstance(error, ACMEError | DNSError):
        return EXIT_REMOTE
    if isinstance(error, AuthError):
        return 1
    return 1


def format_error(error: CertdeskError) -> str:
    if isinstance(error, InvalidInput):
        return "\n".join(
            f"certdesk: {e.field}: {e.message}" if e.field else f"certdesk: {e.message}"
            for e in error.errors
        )
    if isinstance(error, Conflict) and error.field:
        return f"certdesk: {error.field}: {error.message}"
    return f"certdesk: {error.message}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="certdesk", standalone_mode=False)
    except CertdeskError as error:
        print(format_error(error), file=sys.stderr)
        return exit_code_for(error)
    except typer.Abort:
        print("certdesk: aborted", file=sys.stderr)
        return 1
    except typer.TyperException as error:
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            print(f"certdesk: {error}", file=sys.stderr)
        return int(getattr(error, "exit_code", EXIT_BAD_INPUT))
    except typer.Exit as done:
        return int(done.exit_code or 0)
    except KeyboardInterrupt:
        print("certdesk: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the CLI boundary: never a traceback
        if os.environ.get("CERTDESK_DEBUG"):
            raise
        print(
            f"certdesk: unexpected {type(error).__name__}; run again with CERTDESK_DEBUG=1 "
            "for details and report it.",
            file=sys.stderr,
        )
        return 1
    return 0


def run() -> None:  # pragma: no cover - console script shim
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
