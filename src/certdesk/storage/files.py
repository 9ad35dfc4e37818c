"""The files services read (like TrueNAS's /etc/certificates): ``<name>.csr``, ``<name>.key`` and
``<name>.crt`` (full chain) in ``settings.certificates_dir``, mirroring the database.

Every write is atomic: the content goes to a temporary file in the same directory and is renamed
over the target, so a reader sees the old file or the new one, never half of one. With
``durable=True`` the file and the directory are also fsynced; by default they are not, because the
database is the source of truth and ``reconcile`` (run on every start) rewrites any file a power
loss may have cut short. The key file is created with mode 0400 from the start (the temporary file
too), so it is never readable by others, not even for an instant; the directory is created 0700.
``reconcile`` makes the directory match what the database says exactly, repairing whatever a crash
between a row change and a file change left behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from certdesk.errors import StorageError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,120}$")
TEMP_PREFIX = ".certdesk-tmp-"
DIRECTORY_MODE = 0o700
KEY_MODE = 0o400
PUBLIC_MODE = 0o644
SUFFIXES = ("csr", "key", "crt")


@dataclass(frozen=True)
class FilePaths:
    """The three paths of one name."""

    csr: Path
    key: Path
    crt: Path


@dataclass(frozen=True)
class FileSet:
    """What the files of one name should hold; ``None`` means that file should not exist."""

    csr: bytes | None = None
    key: bytes | None = None
    crt: bytes | None = None

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        present = [s for s in SUFFIXES if getattr(self, s) is not None]
        return f"FileSet({', '.join(present)})"


@dataclass(frozen=True)
class ReconcileReport:
    """What ``reconcile`` changed, as file names relative to the directory."""

    written: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


@dataclass
class _ReportBuilder:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def build(self) -> ReconcileReport:
        return ReconcileReport(tuple(self.written), tuple(self.removed), self.unchanged)


class CertificateFiles:
    """The certificate files of one directory."""

    def __init__(self, directory: Path, *, durable: bool = False) -> None:
        self.durable = durable
        self.directory = directory

    def paths(self, name: str) -> FilePaths:
        """Where the files of ``name`` live (whether or not they exist)."""
        _check_name(name)
        return FilePaths(*(self.directory / f"{name}.{suffix}" for suffix in SUFFIXES))

    def write(
        self,
        name: str,
        *,
        csr_pem: bytes | None = None,
        key_pem: bytes | None = None,
        chain_pem: bytes | None = None,
    ) -> FilePaths:
        """Write the given files of ``name`` atomically; files not given are left as they are."""
        paths = self.paths(name)
        self._ensure_directory()
        for path, content in ((paths.csr, csr_pem), (paths.key, key_pem), (paths.crt, chain_pem)):
            if content is not None:
                self._write_atomic(path, content)
        self._sync_directory()
        return paths

    def rename(self, old: str, new: str) -> FilePaths:
        """Move the files of ``old`` to ``new`` (replacing stale files of ``new``)."""
        old_paths, new_paths = self.paths(old), self.paths(new)
        if old == new:
            return new_paths
        for source, target in zip(_as_tuple(old_paths), _as_tuple(new_paths), strict=True):
            try:
                os.replace(source, target)
            except FileNotFoundError:
                self._unlink(target)
            except OSError as exc:
                raise self._error(f"rename {source.name} to {target.name}", exc) from None
        self._sync_directory()
        return new_paths

    def remove(self, name: str) -> None:
        """Remove the files of ``name``; files already gone are fine."""
        for path in _as_tuple(self.paths(name)):
            self._unlink(path)
        if self.directory.exists():
            self._sync_directory()

    def reconcile(self, expected: Mapping[str, FileSet]) -> ReconcileReport:
        """Make the directory hold exactly ``expected``: rewrite missing or different files (and
        fix their modes), remove files of names not expected and leftover temporary files.
        Files with other suffixes are not certdesk's and are left alone."""
        for name in expected:
            _check_name(name)
        self._ensure_directory()
        report = _ReportBuilder()
        for name, wanted in expected.items():
            paths = self.paths(name)
            for suffix, path in zip(SUFFIXES, _as_tuple(paths), strict=True):
                content: bytes | None = getattr(wanted, suffix)
                if content is None:
                    if path.exists():
                        self._unlink(path)
                        report.removed.append(path.name)
                elif self._matches(path, content, _mode_for(suffix)):
                    report.unchanged += 1
                else:
                    self._write_atomic(path, content)
                    report.written.append(path.name)
        for entry in sorted(self.directory.iterdir()):
            if entry.name.startswith(TEMP_PREFIX) or _is_stale(entry, expected):
                self._unlink(entry)
                report.removed.append(entry.name)
        if report.written or report.removed:
            self._sync_directory()
        return report.build()

    # -- internals -------------------------------------------------------------------------

    def _ensure_directory(self) -> None:
        try:
            self.directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        except OSError as exc:
            raise self._error("create the directory", exc) from None

    def _write_atomic(self, path: Path, content: bytes) -> None:
        mode = KEY_MODE if path.suffix == ".key" else PUBLIC_MODE
        temp = self.directory / f"{TEMP_PREFIX}{secrets.token_hex(8)}{path.suffix}"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
            try:
                os.fchmod(fd, mode)  # the umask may have taken bits away; put them back exactly
                view = memoryview(content)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, path)
        except OSError as exc:
            self._unlink(temp)
            raise self._error(f"write {path.name}", exc) from None

    def _matches(self, path: Path, content: bytes, mode: int) -> bool:
        try:
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                return False
            same = path.read_bytes() == content
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise self._error(f"read {path.name}", exc) from None
        return same and stat.S_IMODE(info.st_mode) == mode

    def _unlink(self, path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise self._error(f"remove {path.name}", exc) from None

    def _sync_directory(self) -> None:
        if not self.durable:
            return
        with contextlib.suppress(OSError):  # some file systems cannot fsync a directory
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _error(self, action: str, exc: OSError) -> StorageError:
        return StorageError(
            f"Cannot {action} in the certificates directory {self.directory}: {exc.strerror}. "
            "Check that it exists, is writable by the user running certdesk and that the disk "
            "is not full."
        )


def _check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise ValueError(
            f"{name!r} cannot name certificate files: use 1 to 120 letters, digits, '-' or '_'"
        )


def _mode_for(suffix: str) -> int:
    return KEY_MODE if suffix == "key" else PUBLIC_MODE


def _as_tuple(paths: FilePaths) -> tuple[Path, Path, Path]:
    return (paths.csr, paths.key, paths.crt)


def _is_stale(entry: Path, expected: Mapping[str, FileSet]) -> bool:
    """A certdesk file (``<name>.csr|key|crt``) whose name the database does not know."""
    stem, dot, suffix = entry.name.rpartition(".")
    if not dot or suffix not in SUFFIXES or not NAME_PATTERN.match(stem):
        return False
    return stem not in expected
