"""``certdesk secrets …``: manage the keys that encrypt private keys and credentials at rest."""

from __future__ import annotations

import typer

from certdesk.cli.common import settings_for
from certdesk.storage.db import Database
from certdesk.storage.secrets import rotate_secrets

app = typer.Typer(help="Encryption keys for secrets at rest.", no_args_is_help=True)


@app.command("rotate")
def rotate(ctx: typer.Context) -> None:
    """Make a new encryption key and re-encrypt every stored secret under it."""
    settings = settings_for(ctx)
    db = Database(settings)
    try:
        db.upgrade()
        report = rotate_secrets(db, settings)
    finally:
        db.dispose()
    typer.echo(str(report))
