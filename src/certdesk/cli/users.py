"""``certdesk user …`` and ``certdesk token …``: people who can log in, and their API tokens.

Passwords are read from standard input only (never from the command line, where ``ps`` and the
shell history would show them). A new token is printed exactly once; only its hash is stored.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from certdesk.cli.common import JsonFlag, open_context, print_json, print_table, wants_json
from certdesk.errors import InvalidInput
from certdesk.services import auth
from certdesk.services.context import cli_actor

user_app = typer.Typer(
    help="People who can log in to the web UI and the API.", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens for `Authorization: Bearer`.", no_args_is_help=True)


def _read_password() -> str:
    text = sys.stdin.read(auth.MAX_PASSWORD + 2)
    # One trailing newline (from `echo` or a file) is not part of the password.
    password = text[:-1] if text.endswith("\n") else text
    password = password[:-1] if password.endswith("\r") else password
    if not password:
        raise InvalidInput.single(
            "password",
            'is empty; pipe it in, e.g. `printf %s "$PW" | certdesk user add NAME '
            "--password-stdin`",
        )
    return password


@user_app.command("add")
def add_user(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create the user, or reset the password of an existing one."""
    if not password_stdin:
        raise InvalidInput.single(
            "password", "give --password-stdin and pipe the password in on standard input"
        )
    password = _read_password()
    with open_context(ctx) as app_ctx:
        user = auth.add_or_reset_user(app_ctx, username, password, cli_actor())
    typer.echo(f"User {username!r} added." if user.created else f"Password of {username!r} reset.")


@token_app.command("create")
def create_token(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. 'backup-script'.")],
    user: Annotated[
        str | None,
        typer.Option("--user", help="The user the token acts as (default: the only one)."),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Create an API token and print it once; it cannot be shown again."""
    with open_context(ctx) as app_ctx:
        username = user or auth.sole_username(app_ctx)
        plain, info = auth.create_token(app_ctx, username, name, cli_actor())
    if wants_json(ctx, json_output):
        print_json({"id": info.id, "name": info.name, "username": info.username, "token": plain})
        return
    typer.echo(plain)
    typer.echo(
        f"Token {info.id} ({info.name!r}) for user {info.username!r}. It is shown only now; "
        "send it as `Authorization: Bearer <token>`.",
        err=True,
    )


@token_app.command("list")
def list_tokens(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Every API token (never the token itself, only its first characters)."""
    with open_context(ctx) as app_ctx:
        tokens = auth.list_tokens(app_ctx)
    if wants_json(ctx, json_output):
        print_json(
            [
                {
                    "id": t.id,
                    "name": t.name,
                    "username": t.username,
                    "prefix": t.prefix,
                    "created_at": t.created_at.isoformat(),
                    "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                    "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                }
                for t in tokens
            ]
        )
        return
    print_table(
        ["ID", "Name", "User", "Starts with", "Created", "Last used", "Revoked"],
        [
            (
                t.id,
                t.name,
                t.username,
                auth.TOKEN_PREFIX + t.prefix + "…",
                f"{t.created_at:%Y-%m-%d %H:%M}",
                f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
                f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
            )
            for t in tokens
        ],
    )


@token_app.command("revoke")
def revoke_token(
    ctx: typer.Context, token_id: Annotated[int, typer.Argument(help="The token's ID.")]
) -> None:
    """Revoke an API token; it stops working at once."""
    with open_context(ctx) as app_ctx:
        info = auth.revoke_token(app_ctx, token_id, cli_actor())
    typer.echo(f"Token {info.id} ({info.name!r}) revoked.")
