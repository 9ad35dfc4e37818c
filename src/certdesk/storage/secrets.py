"""Secrets at rest: the encryption keys, the box that seals and opens secret columns, and key
rotation.

Private keys, ACME account keys and authenticator credentials are stored as Fernet tokens
(``cryptography``'s authenticated AES-CBC + HMAC), made by a ``SecretBox`` over a MultiFernet: the
first key encrypts, every key decrypts, so an old key kept after a rotation still opens old
backups. The keys come from ``CERTDESK_SECRET_KEYS`` (comma-separated, newest first) or else from
the key file ``<data dir>/secret.key`` (one key per line, newest first), created 0600 on first use
and never overwritten by that creation. ``rotate_secrets`` puts a new key first and re-encrypts
every encrypted column in one transaction; it backs ``certdesk secrets rotate``. No message here
ever contains a key or a secret.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, cast

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Table, select, update

from certdesk.errors import StorageError
from certdesk.settings import Settings
from certdesk.storage.models import ENCRYPTED_COLUMNS

if TYPE_CHECKING:
    from certdesk.storage.db import Database

KEY_FILE_NAME = "secret.key"
ENV_VAR = "CERTDESK_SECRET_KEYS"
#: How an admin makes a key by hand (shown in messages; the CLI may offer its own command).
GENERATE_KEY_COMMAND = (
    "`python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
)

JSONValue: TypeAlias = dict[str, "JSONValue"] | list["JSONValue"] | str | int | float | bool | None


def generate_key() -> str:
    """A new random Fernet key (urlsafe base64 text), for the key file or the environment."""
    return Fernet.generate_key().decode("ascii")


def key_file_path(settings: Settings) -> Path:
    """Where the key file lives when no keys come from the environment."""
    return settings.data_dir / KEY_FILE_NAME


class SecretBox:
    """Encrypts with the first key and decrypts with any of them.

    ``source`` says where the keys were read from; it appears in error messages so an admin knows
    what to fix. A box over a key file re-reads it when it changed before encrypting, and when a
    token does not open, so a rotation done by another process (``certdesk secrets rotate``)
    takes effect in a running server without a restart.
    """

    def __init__(self, keys: Sequence[str], *, source: str, key_file: Path | None = None) -> None:
        self.source = source
        self.key_file = key_file
        self._lock = threading.Lock()
        self._keys: tuple[str, ...] = ()
        self._file_state = self._stat_key_file()
        self._fernet = self._build(keys)

    def _build(self, keys: Sequence[str]) -> MultiFernet:
        if not keys:
            raise StorageError(f"No encryption key is configured in {self.source}.")
        fernets = []
        for index, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                raise StorageError(
                    f"Encryption key number {index} in {self.source} is not a valid Fernet key "
                    "(32 bytes, urlsafe base64, 44 characters). Replace it with one made by "
                    f"{GENERATE_KEY_COMMAND}."
                ) from None
        self._keys = tuple(keys)
        return MultiFernet(fernets)

    @property
    def key_count(self) -> int:
        """How many keys the box holds (the first encrypts)."""
        return len(self._keys)

    def encrypt(self, data: bytes) -> str:
        """A Fernet token of ``data`` under the first key (of the key file as it is now)."""
        if self.key_file is not None and self._stat_key_file() != self._file_state:
            self._reload()
        return self._fernet.encrypt(data).decode("ascii")

    def decrypt(self, token: str) -> bytes:
        """The plaintext of ``token``; a token no key opens raises ``StorageError``."""
        try:
            return self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            if self._reload():
                with contextlib.suppress(InvalidToken, UnicodeEncodeError):
                    return self._fernet.decrypt(token.encode("ascii"))
        raise self._wrong_key_error()

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted under the first key (its original timestamp kept)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise self._wrong_key_error() from None

    def encrypt_json(self, obj: JSONValue) -> str:
        """A Fernet token of ``obj`` as compact JSON (reveal ``SecretStr`` values first)."""
        text = json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        return self.encrypt(text.encode("utf-8"))

    def decrypt_json(self, token: str) -> JSONValue:
        """The JSON value sealed by ``encrypt_json``; validate it with a pydantic model."""
        data = self.decrypt(token)
        try:
            value: JSONValue = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise StorageError(
                "A stored secret decrypted but is not the JSON document certdesk expects; the "
                "row was changed outside certdesk. Re-enter that secret."
            ) from None
        return value

    def _reload(self) -> bool:
        """Re-read the key file if it changed; True when the keys are different now."""
        if self.key_file is None:
            return False
        with self._lock:
            state = self._stat_key_file()
            try:
                keys = read_key_file(self.key_file)
            except StorageError:
                return False
            self._file_state = state
            if keys == self._keys:
                return False
            self._fernet = self._build(keys)
            return True

    def _stat_key_file(self) -> tuple[int, int, int] | None:
        if self.key_file is None:
            return None
        try:
            info = self.key_file.stat()
        except OSError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def _wrong_key_error(self) -> StorageError:
        if self.key_file is not None:
            fix = (
                f"restore the key file {self.key_file} this database was encrypted with "
                f"(or set {ENV_VAR} to its keys)"
            )
        else:
            fix = f"set {ENV_VAR} to the key(s) this database was encrypted with, newest first"
        return StorageError(
            f"A stored secret cannot be decrypted with the encryption keys from {self.source}: "
            f"the key is wrong or missing. To fix it, {fix}."
        )


def load_secret_box(settings: Settings) -> SecretBox:
    """The box for these settings: keys from the environment, else the key file (created 0600
    with one new key on first use)."""
    if settings.secret_keys:
        return SecretBox(settings.secret_keys, source=f"the environment variable {ENV_VAR}")
    path = key_file_path(settings)
    if not path.exists():
        _create_key_file(path)
    return SecretBox(read_key_file(path), source=f"the key file {path}", key_file=path)


def read_key_file(path: Path) -> tuple[str, ...]:
    """The keys in a key file, newest first (blank lines and ``#`` comments skipped)."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise StorageError(
            f"The key file {path} is missing. Restore it from your backup, or set {ENV_VAR}."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not a text file"
        raise StorageError(
            f"Cannot read the key file {path}: {reason}. Check its owner and permissions."
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StorageError(
            f"The key file {path} can be read by other users; run `chmod 600 {path}` "
            "(and check who may have copied it)."
        )
    keys = tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
    if not keys:
        raise StorageError(
            f"The key file {path} holds no key. Restore it from your backup, or set {ENV_VAR}."
        )
    return keys


def _create_key_file(path: Path) -> None:
    """Write a key file holding one new key: 0600 from the start, never replacing a file."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_private_file(path, generate_key() + "\n", replace=False)
    except FileExistsError:
        return  # another process created it first; use theirs
    except OSError as exc:
        raise StorageError(
            f"Cannot create the key file {path}: {exc.strerror}. Check that the data directory "
            f"is writable by this user, or set {ENV_VAR}."
        ) from None


def _write_private_file(path: Path, text: str, *, replace: bool) -> None:
    """Write ``text`` to ``path`` atomically through a 0600 temporary file in the same directory.

    With ``replace=False`` the file is linked into place, which fails with ``FileExistsError``
    instead of overwriting a file that appeared meanwhile.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o600)
        with contextlib.suppress(FileNotFoundError, PermissionError):
            # Keep the owner: root running `certdesk secrets rotate` for a server that runs as
            # another user must not leave it a key file it cannot read.
            owner = path.stat()
            os.fchown(fd, owner.st_uid, owner.st_gid)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
        _fsync_directory(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class RotationReport:
    """What ``rotate_secrets`` did."""

    #: True when a new key was made and put first in the key file.
    new_key_created: bool
    #: Where the keys live ("the key file /…/secret.key" or "the environment variable …").
    key_source: str
    #: Keys now configured (the first encrypts; the others only decrypt old backups).
    key_count: int
    #: Rows re-encrypted per column, as ``"table.column"`` → count.
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        columns = ", ".join(f"{name} {count}" for name, count in self.counts.items())
        key = "a new key, put first in" if self.new_key_created else "the first key of"
        return (
            f"{self.total} secrets re-encrypted under {key} {self.key_source} ({columns}); "
            f"{self.key_count} keys configured, the older ones only open old backups."
        )


def rotate_secrets(db: Database, settings: Settings) -> RotationReport:
    """Put a new key first and re-encrypt every encrypted column under it, in one transaction.

    With the key file, a new key is prepended to it (before any row changes, so a failure leaves
    every token readable). With keys from the environment nothing can be written: when only one key
    is configured this refuses and says how to add one; otherwise it re-encrypts under the first.
    """
    if settings.secret_keys:
        if len(settings.secret_keys) < 2:
            raise StorageError(
                f"The encryption keys come from {ENV_VAR}, which certdesk cannot change. Make a "
                f"new key with {GENERATE_KEY_COMMAND}, put it first in {ENV_VAR} "
                "(comma-separated, keeping the current key after it), restart certdesk and run "
                "`certdesk secrets rotate` again: it then re-encrypts everything under the first "
                "key."
            )
        box = load_secret_box(settings)
        created = False
    else:
        path = key_file_path(settings)
        if not path.exists():
            _create_key_file(path)
        old_keys = read_key_file(path)
        # Check that the current keys open every row before touching the file.
        _reencrypt_all(db, SecretBox(old_keys, source=f"the key file {path}"), dry_run=True)
        new_keys = (generate_key(), *old_keys)
        try:
            _write_private_file(path, "\n".join(new_keys) + "\n", replace=True)
        except OSError as exc:
            raise StorageError(
                f"Cannot write the key file {path}: {exc.strerror}. Nothing was re-encrypted; "
                "check that the data directory is writable by this user."
            ) from None
        box = SecretBox(new_keys, source=f"the key file {path}", key_file=path)
        created = True
    counts = _reencrypt_all(db, box, dry_run=False)
    db.checkpoint()  # SQLite: no page with an old token left in the WAL or the file
    return RotationReport(
        new_key_created=created, key_source=box.source, key_count=box.key_count, counts=counts
    )


def _reencrypt_all(db: Database, box: SecretBox, *, dry_run: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    with db.session() as session:
        for row_class, attribute in ENCRYPTED_COLUMNS:
            table = cast(Table, row_class.__table__)
            column = table.c[attribute]
            rows = session.execute(
                select(table.c.id, column).where(column.is_not(None)).order_by(table.c.id)
            ).all()
            for row_id, token in rows:
                new_token = box.rotate(token)
                if not dry_run:
                    session.execute(
                        update(table).where(table.c.id == row_id).values({attribute: new_token})
                    )
            counts[f"{table.name}.{attribute}"] = len(rows)
    return counts
