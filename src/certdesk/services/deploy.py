"""Deploying a certificate to the services that use it, after issue and renewal.

Each certificate may have deploy targets (its ``deploy`` JSON column, ``DeployTargets``): a
**directory** that gets the full chain, the key and optionally the issuer chain under chosen file
names, owner, group and modes; and/or a **command** run with an argv list — never through a shell
— with environment variables naming the files (``CERTDESK_CERT_NAME``, ``CERTDESK_FULLCHAIN``,
``CERTDESK_KEY``, ``CERTDESK_CHAIN``), its own extra variables, and a timeout after which its whole
process group is killed (the models and ``validate_targets`` live in ``deploy_targets.py`` and
are re-exported here). ``deploy`` never raises for a failed step: each step's outcome, duration
and error (with the tail of the command's stderr) is in the ``DeployResult`` the caller records
and shows.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from certdesk.services.deploy_targets import (
    CommandTarget,
    DeployTargets,
    DirectoryTarget,
    gid_of,
    uid_of,
    validate_targets,
)

__all__ = [
    "CommandTarget",
    "DeployResult",
    "DeployStep",
    "DeployTargets",
    "DirectoryTarget",
    "deploy",
    "validate_targets",
]

OUTPUT_TAIL = 2000


@dataclass(frozen=True)
class DeployStep:
    """One step's outcome: ``directory`` or ``command``."""

    name: str
    ok: bool
    seconds: float
    error: str | None = None
    #: Files written, or the command's exit status.
    detail: str | None = None
    #: The last characters of the command's stderr (or stdout when stderr is empty).
    output_tail: str | None = None


@dataclass(frozen=True)
class DeployResult:
    steps: tuple[DeployStep, ...] = ()

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    @property
    def error(self) -> str | None:
        """The first failed step's error, as one sentence (for ``last_error`` and alerts)."""
        for step in self.steps:
            if not step.ok:
                return f"{step.name}: {step.error}"
        return None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "steps": [asdict(step) for step in self.steps]}


@dataclass(frozen=True)
class _Files:
    fullchain: Path
    key: Path
    chain: Path | None


def _split_chain(chain_pem: bytes) -> bytes:
    certs = x509.load_pem_x509_certificates(chain_pem)
    return b"".join(c.public_bytes(Encoding.PEM) for c in certs[1:])


def _write_directory(
    target: DirectoryTarget, name: str, chain_pem: bytes, key_pem: bytes
) -> tuple[_Files, str]:
    directory = Path(target.path)
    directory.mkdir(parents=True, exist_ok=True, mode=0o755)
    uid = uid_of(target.owner) if target.owner is not None else -1
    gid = gid_of(target.group) if target.group is not None else -1
    if uid is None or gid is None:
        raise LookupError(f"the owner {target.owner!r} or group {target.group!r} does not exist")
    files = _Files(
        directory / target.cert_name,
        directory / target.key_name,
        directory / target.chain_name if target.chain_name else None,
    )
    contents = [
        (files.fullchain, chain_pem, target.cert_mode),
        (files.key, key_pem, target.key_mode),
    ]
    if files.chain is not None:
        contents.append((files.chain, _split_chain(chain_pem), target.cert_mode))
    temporary: list[tuple[Path, Path]] = []
    try:
        # Every file is complete on disk before the first rename, so a service reloading at
        # any moment sees old or new files, and the new set arrives within microseconds.
        for path, content, mode in contents:
            temporary.append((_write_temporary(path, content, mode, uid, gid), path))
        for temp, path in temporary:
            os.replace(temp, path)
        temporary.clear()
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        for temp, _ in temporary:
            with contextlib.suppress(OSError):
                temp.unlink()
    return files, ", ".join(str(path) for path, _, _ in contents)


def _write_temporary(path: Path, content: bytes, mode: int, uid: int, gid: int) -> Path:
    temp = path.with_name(f".{path.name}.certdesk-{secrets.token_hex(6)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        if uid != -1 or gid != -1:
            os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    return temp


def _tail(data: bytes) -> str | None:
    text = data.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    return text if len(text) <= OUTPUT_TAIL else "…" + text[-OUTPUT_TAIL:]


def _run_command(target: CommandTarget, name: str, files: _Files) -> DeployStep:
    env = {"PATH": os.environ.get("PATH", os.defpath), **target.env}
    env.update(
        CERTDESK_CERT_NAME=name,
        CERTDESK_FULLCHAIN=str(files.fullchain),
        CERTDESK_KEY=str(files.key),
    )
    if files.chain is not None:
        env["CERTDESK_CHAIN"] = str(files.chain)
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            target.argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        return DeployStep(
            "command",
            False,
            time.monotonic() - started,
            f"cannot run {target.argv[0]}: {exc.strerror}",
        )
    try:
        stdout, stderr = process.communicate(timeout=target.timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        try:
            stdout, stderr = process.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a child left its own group and holds the pipes
            process.kill()
            stdout, stderr = b"", b""
        return DeployStep(
            "command",
            False,
            time.monotonic() - started,
            f"{target.argv[0]} did not finish within {target.timeout:g} s and was killed.",
            output_tail=_tail(stderr) or _tail(stdout),
        )
    seconds = time.monotonic() - started
    tail = _tail(stderr) or _tail(stdout)
    code = process.returncode
    if code == 0:
        return DeployStep("command", True, seconds, detail="exit status 0", output_tail=tail)
    how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
    error = f"{target.argv[0]} {how}" + (f": {tail.splitlines()[-1]}" if tail else ".")
    return DeployStep("command", False, seconds, error, f"exit status {code}", tail)


def deploy(
    cert_name: str,
    chain_pem: bytes,
    key_pem: bytes,
    targets: DeployTargets | None,
    files_dir: Path,
) -> DeployResult:
    """Copy the files to the directory target, then run the command target; the command's
    variables name the directory's files, or ``<files_dir>/<name>.crt`` and ``.key`` without
    one. A failed directory step skips the command (it would reload stale files)."""
    if targets is None:
        return DeployResult()
    steps: list[DeployStep] = []
    files = _Files(files_dir / f"{cert_name}.crt", files_dir / f"{cert_name}.key", None)
    if targets.directory is not None:
        started = time.monotonic()
        try:
            files, written = _write_directory(targets.directory, cert_name, chain_pem, key_pem)
        except (OSError, LookupError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            where = getattr(exc, "filename", None) or targets.directory.path
            steps.append(
                DeployStep(
                    "directory",
                    False,
                    time.monotonic() - started,
                    f"cannot write the files in {targets.directory.path} ({where}): {reason}",
                )
            )
        else:
            steps.append(DeployStep("directory", True, time.monotonic() - started, None, written))
    if targets.command is not None:
        if steps and not steps[-1].ok:
            steps.append(DeployStep("command", False, 0.0, "skipped: the directory step failed."))
        else:
            steps.append(_run_command(targets.command, cert_name, files))
    return DeployResult(tuple(steps))
