"""``certdesk serve``: the web UI and the REST API under uvicorn, in one process.

The database is created or upgraded first. With no user yet the server still starts, but only
the health check and the login answer, and the command says how to create the first user: there
is never an open admin.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from certdesk.app import create_app
from certdesk.cli.common import open_context
from certdesk.services import auth
from certdesk.services.notify import Notifier, NotifySettings

app = typer.Typer(help="Run the web UI and the REST API.")


@app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8080,
) -> None:
    """Serve the web UI at / and the REST API at /api/v1 until interrupted."""
    with open_context(ctx) as app_ctx:
        notifier = Notifier(NotifySettings.from_env(os.environ))
        if not auth.has_users(app_ctx):
            typer.echo(
                "No user exists yet, so nobody can log in. Create one with:\n"
                "  certdesk user add admin --password-stdin   (type the password, then Ctrl-D)",
                err=True,
            )
        typer.echo(
            f"certdesk on http://{host}:{port}/ (API docs at /api/docs); data in "
            f"{app_ctx.settings.data_dir}",
            err=True,
        )
        uvicorn.run(
            create_app(app_ctx.settings, ctx=app_ctx, notifier=notifier),
            host=host,
            port=port,
            log_level="info",
            proxy_headers=False,
        )
