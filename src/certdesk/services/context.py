"""The application context: settings, database, secret box, certificate files and clock, opened
once by an entry point (``certdesk serve``, a CLI command, a test) and passed to every use case."""

from __future__ import annotations

import os
from dataclasses import dataclass

from certdesk.clock import Clock, SystemClock
from certdesk.errors import StorageError
from certdesk.settings import Settings
from certdesk.storage.db import Database
from certdesk.storage.files import CertificateFiles
from certdesk.storage.secrets import SecretBox, load_secret_box


@dataclass(frozen=True)
class Actor:
    """Who asks: a username (or ``cli:<os user>``) and, over HTTP, the client address."""

    username: str
    client: str | None = None


@dataclass
class AppContext:
    settings: Settings
    db: Database
    box: SecretBox
    files: CertificateFiles
    clock: Clock

    @classmethod
    def open(cls, settings: Settings, clock: Clock | None = None) -> AppContext:
        """Create or upgrade the database, load the encryption keys, reconcile files with rows."""
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StorageError(
                f"Cannot create the data directory {settings.data_dir}: {exc.strerror}. "
                "Choose another one with --data-dir or CERTDESK_DATA_DIR."
            ) from None
        db = Database(settings)
        try:
            db.upgrade()
            box = load_secret_box(settings)
            ctx = cls(
                settings=settings,
                db=db,
                box=box,
                files=CertificateFiles(settings.certificates_dir),
                clock=clock or SystemClock(),
            )
            from certdesk.services.files import reconcile_files

            reconcile_files(ctx)
        except BaseException:
            db.dispose()
            raise
        return ctx

    def close(self) -> None:
        self.db.dispose()


def cli_actor() -> Actor:
    """The actor for a command run in a shell."""
    try:
        user = os.getlogin()
    except OSError:
        user = os.environ.get("USER") or str(os.getuid())
    return Actor(username=f"cli:{user}", client="cli")
