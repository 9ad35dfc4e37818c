"""The one error tree of certdesk; every face maps it exactly once.

    CertdeskError                 anything certdesk raises on purpose
    ├── InvalidInput              bad input: one or more FieldError(field, message)
    ├── NotFound                  no such object (CSR, certificate, authenticator, job, ...)
    ├── Conflict                  a name is taken, or the object is in use
    ├── AuthError                 missing or wrong credentials
    │   └── Forbidden             authenticated, but not allowed (CSRF, rate limit, ...)
    ├── CryptoError               a key or CSR could not be produced or read
    ├── ACMEError                 the CA refused or failed; carries the ACME problem document
    ├── DNSError                  a DNS update or propagation check failed
    └── StorageError              the database or the data directory failed

The API maps these to problem+json (400/422, 404, 409, 401, 403, 502), the web UI to form errors,
the CLI to exit codes (2 bad input, 3 not found, 4 ACME or DNS, 1 anything else).
Messages say what failed, on which object and what to do; they never carry key material or
credentials.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class CertdeskError(Exception):
    """Base of every error certdesk raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; ``field`` is a dotted path into the request."""

    field: str
    message: str

    def prefixed(self, prefix: str) -> FieldError:
        """The same error with ``prefix.`` in front of its path."""
        path = f"{prefix}.{self.field}" if self.field else prefix
        return FieldError(path, self.message)


class InvalidInput(CertdeskError):
    """Bad input, with every field error of the request at once."""

    def __init__(self, errors: Iterable[FieldError] | FieldError) -> None:
        if isinstance(errors, FieldError):
            errors = [errors]
        self.errors: tuple[FieldError, ...] = tuple(errors)
        if not self.errors:
            raise ValueError("InvalidInput needs at least one FieldError")
        first = self.errors[0]
        summary = f"{first.field}: {first.message}" if first.field else first.message
        if len(self.errors) > 1:
            summary += f" (and {len(self.errors) - 1} more)"
        super().__init__(summary)

    @classmethod
    def single(cls, field_name: str, message: str) -> InvalidInput:
        return cls([FieldError(field_name, message)])


class NotFound(CertdeskError):
    """No object of that kind with that id or name."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"No {kind} {key!r} exists.")


class Conflict(CertdeskError):
    """The request collides with existing state (a name taken, an object in use)."""

    def __init__(self, message: str, field_name: str | None = None) -> None:
        self.field = field_name
        super().__init__(message)


class AuthError(CertdeskError):
    """Missing or wrong credentials."""


class Forbidden(AuthError):
    """Authenticated but not allowed, or refused for safety (CSRF, rate limit)."""


class CryptoError(CertdeskError):
    """A key or a CSR could not be produced or read."""


@dataclass(frozen=True)
class ACMEProblem:
    """An ACME problem document (RFC 8555 §6.7), kept whole for the user."""

    type: str
    detail: str
    status: int | None = None
    identifier: str | None = None
    subproblems: tuple[ACMEProblem, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "detail": self.detail,
            "status": self.status,
            "identifier": self.identifier,
            "subproblems": [p.as_dict() for p in self.subproblems],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ACMEProblem:
        return cls(
            type=str(data.get("type", "")),
            detail=str(data.get("detail", "")),
            status=data.get("status"),
            identifier=data.get("identifier"),
            subproblems=tuple(cls.from_dict(p) for p in data.get("subproblems") or ()),
        )


class ACMEError(CertdeskError):
    """The ACME server refused or failed; ``problem`` holds its problem document if it sent one."""

    def __init__(self, message: str, problem: ACMEProblem | None = None) -> None:
        self.problem = problem
        super().__init__(message)


class DNSError(CertdeskError):
    """A DNS update, lookup or propagation check failed."""


class StorageError(CertdeskError):
    """The database or the data directory failed."""
