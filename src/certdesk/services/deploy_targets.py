"""Deploy targets of a certificate (its ``deploy`` JSON column) and their validation.

``DeployTargets`` holds an optional **directory** (path, file names, owner, group, modes) and an
optional **command** (argv, extra environment, timeout). ``validate_targets`` turns request data
into ``DeployTargets`` or one ``InvalidInput`` with every problem at its dotted path
(``deploy.directory.path``, ``deploy.command.argv.0``, ...), checking the host as well: the owner
and group exist, the program is an executable file. ``deploy.py`` carries them out.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from certdesk.errors import FieldError, InvalidInput

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_ENV_PREFIX = "CERTDESK_"
MAX_TIMEOUT = 3600.0


def _octal(value: object) -> object:
    """Modes are written as octal strings ("0640"); plain integers are taken as they are."""
    if isinstance(value, str):
        try:
            return int(value, 8)
        except ValueError:
            raise ValueError("must be an octal file mode such as 0640") from None
    return value


Mode = Annotated[int, PlainSerializer(lambda v: f"{v:04o}", return_type=str)]


class DirectoryTarget(BaseModel):
    """A directory that gets copies of the files, with chosen names, owner, group and modes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="Absolute path of the directory (created if missing).")
    cert_name: str = Field("fullchain.pem", description="File name of the full chain.")
    key_name: str = Field("privkey.pem", description="File name of the private key.")
    chain_name: str | None = Field(
        None, description="File name of the issuer chain without the certificate, if wanted."
    )
    owner: str | None = Field(None, description="User that owns the files (default: certdesk's).")
    group: str | None = Field(None, description="Group of the files (default: certdesk's).")
    cert_mode: Mode = Field(0o644, description="Mode of the certificate files, such as 0644.")
    key_mode: Mode = Field(0o600, description="Mode of the key file: 0400, 0600, 0440 or 0640.")

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or "\0" in value:
            raise ValueError("must be an absolute path, such as /etc/nginx/tls")
        return os.path.normpath(value)

    @field_validator("cert_name", "key_name", "chain_name")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        if value is not None and (
            not value or "/" in value or "\0" in value or value in {".", ".."}
        ):
            raise ValueError("must be a plain file name, without '/'")
        return value

    @field_validator("cert_mode", "key_mode", mode="before")
    @classmethod
    def _mode(cls, value: object) -> object:
        return _octal(value)

    @field_validator("cert_mode")
    @classmethod
    def _cert_mode(cls, value: int) -> int:
        if not 0 <= value <= 0o777 or not value & 0o400:
            raise ValueError("must be a file mode from 0400 to 0777 that the owner can read")
        return value

    @field_validator("key_mode")
    @classmethod
    def _key_mode(cls, value: int) -> int:
        if value not in {0o400, 0o600, 0o440, 0o640}:
            raise ValueError("must be 0400, 0600, 0440 or 0640: a key is never world-readable")
        return value

    @model_validator(mode="after")
    def _distinct_names(self) -> DirectoryTarget:
        names = [n for n in (self.cert_name, self.key_name, self.chain_name) if n is not None]
        if len(set(names)) != len(names):
            raise ValueError("cert_name, key_name and chain_name must be different file names")
        return self


class CommandTarget(BaseModel):
    """A command run after the files are in place (to reload a service, say)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    argv: list[str] = Field(
        min_length=1, description="The program (absolute path) and its arguments; no shell."
    )
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")
    timeout: float = Field(60.0, gt=0, le=MAX_TIMEOUT, description="Seconds before it is killed.")

    @field_validator("argv")
    @classmethod
    def _argv(cls, value: list[str]) -> list[str]:
        if not value[0].startswith("/"):
            raise ValueError("argv[0] must be the absolute path of the program, such as /bin/sh")
        if any("\0" in arg for arg in value):
            raise ValueError("arguments cannot contain NUL characters")
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not a variable name (letters, digits, _)")
            if name.startswith(RESERVED_ENV_PREFIX):
                raise ValueError(f"{name!r}: names starting with CERTDESK_ are set by certdesk")
            if "\0" in text:
                raise ValueError(f"the value of {name!r} cannot contain NUL characters")
        return value


class DeployTargets(BaseModel):
    """Where a certificate goes after issue and renewal; both parts are optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    directory: DirectoryTarget | None = None
    command: CommandTarget | None = None


def _field_errors(exc: ValidationError, prefix: str) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        path = ".".join(str(part) for part in (prefix, *error["loc"]))
        message = error["msg"].removeprefix("Value error, ")
        errors.append(FieldError(path, message))
    return errors


def _host_errors(targets: DeployTargets, prefix: str) -> list[FieldError]:
    errors = []
    directory, command = targets.directory, targets.command
    if directory is not None:
        if directory.owner is not None and uid_of(directory.owner) is None:
            errors.append(
                FieldError(f"{prefix}.directory.owner", f"no user {directory.owner!r} here.")
            )
        if directory.group is not None and gid_of(directory.group) is None:
            errors.append(
                FieldError(f"{prefix}.directory.group", f"no group {directory.group!r} here.")
            )
        existing = Path(directory.path)
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            errors.append(
                FieldError(f"{prefix}.directory.path", f"{existing} exists and is not a directory.")
            )
    if command is not None:
        program = Path(command.argv[0])
        if not program.is_file() or not os.access(program, os.X_OK):
            errors.append(
                FieldError(f"{prefix}.command.argv.0", f"{program} is not an executable file.")
            )
    return errors


def validate_targets(data: Mapping[str, Any] | None, *, prefix: str = "deploy") -> DeployTargets:
    """``data`` as ``DeployTargets``, or ``InvalidInput`` with every problem, each at its dotted
    path under ``prefix``; the host is checked too (users, groups, the program)."""
    errors: list[FieldError] = []
    parts: dict[str, object] = {}
    data = dict(data or {})
    for key in sorted(set(data) - {"directory", "command"}):
        errors.append(FieldError(f"{prefix}.{key}", "unknown target; use directory or command."))
    for key, model in (("directory", DirectoryTarget), ("command", CommandTarget)):
        if data.get(key) is None:
            continue
        try:
            parts[key] = model.model_validate(data[key])
        except ValidationError as exc:
            errors.extend(_field_errors(exc, f"{prefix}.{key}"))
    targets = DeployTargets.model_validate(parts)
    errors.extend(_host_errors(targets, prefix))
    if errors:
        raise InvalidInput(errors)
    return targets


def uid_of(owner: str) -> int | None:
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        return int(owner) if owner.isdigit() else None


def gid_of(group: str) -> int | None:
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        return int(group) if group.isdigit() else None
