"""The ``shell`` authenticator: a user's script writes and removes the records.

The script is run with an argument vector, never through a shell, as
``<script> set|unset <domain> <fqdn> <value>``, as the configured user (certdesk switches to that
user when it runs as root; otherwise the user must be the one certdesk runs as), with a timeout,
a minimal environment and ``/`` as working directory. A non-zero exit is a DNSError carrying the
tail of the script's stderr. When saved, the script must exist, be a regular file and be
executable by that user, and the user must exist.
"""

from __future__ import annotations

import builtins
import os
import pwd
import stat
import subprocess
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import BaseModel, Field, field_validator

from certdesk.dns.base import AttributesModel, Authenticator, TXTRecord
from certdesk.errors import DNSError, FieldError

#: How much of the script's stderr a failure message carries.
STDERR_TAIL = 1000
_ENV_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ShellAttributes(AttributesModel):
    script: str = Field(
        description="Absolute path of the script, run as: script set|unset domain fqdn value."
    )
    user: str = Field("nobody", description="User the script runs as.")
    timeout: Annotated[int, Field(ge=5, le=3600)] = Field(
        60, description="Seconds the script may run before it is stopped."
    )

    @field_validator("script")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("Must be an absolute path, such as /usr/local/bin/dns-hook.")
        return value


class ShellAuthenticator(Authenticator):
    """Runs a user-provided script to add and remove challenge records."""

    type: ClassVar[str] = "shell"
    title: ClassVar[str] = "Shell script"
    Attributes: ClassVar[builtins.type[BaseModel]] = ShellAttributes
    propagation_timeout: ClassVar[float] = 300.0

    def __init__(self, attributes: BaseModel) -> None:
        super().__init__(attributes)
        self.attrs: ShellAttributes = attributes  # type: ignore[assignment]

    def perform(self, record: TXTRecord) -> None:
        self._run("set", record)

    def cleanup(self, record: TXTRecord) -> None:
        self._run("unset", record)

    @classmethod
    def check_attributes(cls, attributes: BaseModel) -> list[FieldError]:
        attrs: ShellAttributes = attributes  # type: ignore[assignment]
        errors: list[FieldError] = []
        try:
            account = pwd.getpwnam(attrs.user)
        except KeyError:
            account = None
            errors.append(FieldError("user", f"Unable to locate '{attrs.user}' user."))
        if account is not None and os.geteuid() != 0 and account.pw_uid != os.geteuid():
            errors.append(
                FieldError(
                    "user",
                    f"certdesk runs as '{_current_user()}' and cannot run scripts as "
                    f"'{attrs.user}': use '{_current_user()}' or run certdesk as root.",
                )
            )
        problem = _script_problem(Path(attrs.script), account)
        if problem:
            errors.append(FieldError("script", problem))
        return errors

    def _run(self, action: str, record: TXTRecord) -> None:
        argv = [self.attrs.script, action, record.domain, record.fqdn, record.value]
        user, group = self._identity()
        try:
            completed = subprocess.run(
                argv,
                capture_output=True,
                timeout=self.attrs.timeout,
                cwd="/",
                env={"PATH": _ENV_PATH, "LANG": "C.UTF-8"},
                check=False,
                user=user,
                group=group,
                extra_groups=None if user is None else [],
            )
        except subprocess.TimeoutExpired:
            raise DNSError(
                f"The script {self.attrs.script} ({action} {record.fqdn}) did not finish within "
                f"{self.attrs.timeout} s and was stopped: make it faster or raise the timeout."
            ) from None
        except OSError as exc:
            raise DNSError(
                f"Could not run the script {self.attrs.script} as '{self.attrs.user}': "
                f"{exc.strerror or exc}."
            ) from exc
        if completed.returncode != 0:
            tail = completed.stderr.decode("utf-8", "replace").strip()[-STDERR_TAIL:]
            raise DNSError(
                f"The script {self.attrs.script} ({action} {record.fqdn}) failed with exit "
                f"status {completed.returncode}" + (f": {tail}" if tail else ".")
            )

    def _identity(self) -> tuple[int | None, int | None]:
        """uid and gid to switch to (None, None when the script runs as certdesk itself)."""
        try:
            account = pwd.getpwnam(self.attrs.user)
        except KeyError:
            raise DNSError(f"Unable to locate '{self.attrs.user}' user.") from None
        if account.pw_uid == os.geteuid():
            return None, None
        if os.geteuid() != 0:
            raise DNSError(
                f"certdesk runs as '{_current_user()}' and cannot run scripts as "
                f"'{self.attrs.user}': use '{_current_user()}' or run certdesk as root."
            )
        return account.pw_uid, account.pw_gid


def _script_problem(path: Path, account: pwd.struct_passwd | None) -> str | None:
    """Why ``path`` cannot be run by ``account`` (None when it can)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return f"{path} does not exist: give the path of an existing script."
    except OSError as exc:
        return f"{path} cannot be read: {exc.strerror}."
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file: give the path of a script."
    if account is None:
        executable = os.access(path, os.X_OK)
    elif account.pw_uid == 0:
        executable = bool(info.st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))
    elif info.st_uid == account.pw_uid:
        executable = bool(info.st_mode & stat.S_IXUSR)
    elif info.st_gid in _groups_of(account):
        executable = bool(info.st_mode & stat.S_IXGRP)
    else:
        executable = bool(info.st_mode & stat.S_IXOTH)
    if not executable:
        who = f"'{account.pw_name}' user" if account else "certdesk"
        return f"The {who} may not execute {path}: make it executable (chmod +x) for that user."
    return None


def _groups_of(account: pwd.struct_passwd) -> set[int]:
    return set(os.getgrouplist(account.pw_name, account.pw_gid))


def _current_user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())
